"""JPEG / PNG coding of frames, in RGB order: what a video store's frame streams hold.

OpenCV holds colour images in BGR order. Every function here takes and returns RGB and
converts at the OpenCV call, so no caller ever handles a BGR array. Needs OpenCV (the
``video`` extra); importing this module without it raises
:class:`~actionkit.extras.MissingExtraError`.
"""

from __future__ import annotations

import numpy as np

from actionkit.extras import require

cv2 = require("cv2", "video")


class ImageError(Exception):
    """Encoded image data that cannot be decoded; the message starts with where it came from."""


def _check_layout(image: np.ndarray, codec: str) -> None:
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"{codec} needs a [H, W] or [H, W, 3] image, got shape {image.shape}")


def _encode(extension: str, image: np.ndarray, params: list[int]) -> bytes:
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buffer = cv2.imencode(extension, image, params)
    if not ok:
        raise ImageError(f"OpenCV could not encode a {image.dtype} {image.shape} image as {extension}")
    return buffer.tobytes()


def encode_jpeg(image: np.ndarray, quality: int = 95) -> bytes:
    """JPEG bytes of uint8 RGB ``[H, W, 3]`` or grey ``[H, W]`` (lossy).

    Raises:
        ValueError: another dtype or shape, or a quality outside 0..100.
    """
    if image.dtype != np.uint8:
        raise ValueError(f"JPEG needs uint8 pixels, got {image.dtype}")
    _check_layout(image, "JPEG")
    if not 0 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in 0..100, got {quality}")
    return _encode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])


def encode_png(image: np.ndarray, compression: int = 1) -> bytes:
    """Lossless PNG bytes of uint8 or uint16 ``[H, W]`` or RGB ``[H, W, 3]``.

    ``compression`` is the zlib level 0..9: 1 is fast and most of the size gain.

    Raises:
        ValueError: another dtype or shape, or a level outside 0..9.
    """
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"PNG needs uint8 or uint16 pixels, got {image.dtype}")
    _check_layout(image, "PNG")
    if not 0 <= compression <= 9:
        raise ValueError(f"PNG compression must be in 0..9, got {compression}")
    return _encode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, int(compression)])


def decode_image(data: bytes, *, what: str = "") -> np.ndarray:
    """Decode JPEG or PNG bytes to exactly what was encoded.

    The dtype (uint8 or uint16) and channel count are kept (``cv2.IMREAD_UNCHANGED``);
    colour comes back in RGB (RGBA) order.

    Args:
        data: The encoded bytes.
        what: Where the bytes came from (a file name, a sample and frame), for errors.

    Returns:
        ``[H, W]``, ``[H, W, 3]`` RGB or ``[H, W, 4]`` RGBA, uint8 or uint16.

    Raises:
        ImageError: empty, truncated or otherwise undecodable data, ``what`` first.
    """
    where = what or "image"
    if not data:
        raise ImageError(f"{where}: empty image data")
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise ImageError(f"{where}: undecodable image data ({len(data)} bytes): {exc}") from None
    if image is None:
        raise ImageError(f"{where}: corrupt, truncated or unknown image data ({len(data)} bytes)")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image
