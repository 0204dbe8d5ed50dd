"""Frames as a store keeps them: resizing, and JPEG / PNG coding, in RGB order.

OpenCV holds colour images in BGR order. Every function here takes and returns RGB and
converts at the OpenCV call, so no caller ever handles a BGR array.
"""

from __future__ import annotations

import cv2
import numpy as np

INTERPOLATIONS: dict[str, int] = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}


class ImageError(Exception):
    """Encoded image data that cannot be decoded; the message starts with where it came from."""


def short_side_shape(height: int, width: int, short: int) -> tuple[int, int]:
    """The ``(height, width)`` whose shorter side is ``short``, the aspect ratio kept.

    The longer side becomes ``round(long * short / shorter)`` (Python's ``round``), so
    640x480 -> 341x256 and 1920x1080 -> 455x256.

    Raises:
        ValueError: ``short`` or the frame size is not positive.
    """
    if short <= 0 or height <= 0 or width <= 0:
        raise ValueError(f"cannot resize a {width}x{height} frame to a short side of {short}")
    if height <= width:
        return short, max(1, round(width * short / height))
    return max(1, round(height * short / width)), short


def resize_to(frame: np.ndarray, width: int, height: int, interpolation: str = "area") -> np.ndarray:
    """Resize a frame to exactly ``width`` x ``height`` (e.g. 340x256, aspect not kept).

    ``"area"`` averages the source pixels under each output pixel: the filter for
    shrinking. OpenCV's area filter behaves like nearest-neighbour when it enlarges, so
    when either side grows ``"area"`` falls back to ``"linear"``. ``"nearest"`` is for
    depth maps: it copies existing millimetre values and never blends a foreground and a
    background surface into a depth that exists nowhere.

    Args:
        frame: uint8 ``[H, W, 3]`` RGB, uint8 ``[H, W]`` grey or uint16 ``[H, W]`` depth.
        width: Output width in pixels.
        height: Output height in pixels.
        interpolation: ``"area"``, ``"linear"`` or ``"nearest"``.

    Returns:
        ``[height, width(, 3)]`` of the input's dtype; the input itself if already that size.

    Raises:
        ValueError: an unknown interpolation or a non-positive size.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {interpolation!r}; expected one of {', '.join(INTERPOLATIONS)}")
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot resize to {width}x{height}")
    h, w = frame.shape[:2]
    if (h, w) == (height, width):
        return frame
    if interpolation == "area" and (height > h or width > w):
        interpolation = "linear"
    return cv2.resize(frame, (width, height), interpolation=INTERPOLATIONS[interpolation])


def resize_short_side(frame: np.ndarray, short: int, *, interpolation: str = "area") -> np.ndarray:
    """Resize so the shorter side is ``short`` pixels, keeping the aspect ratio.

    640x480 -> 341x256, 1920x1080 -> 455x256, 320x240 -> 341x256 (enlarged: linear,
    see :func:`resize_to`), portrait 360x640 -> 256x455.

    Args:
        frame: uint8 ``[H, W, 3]`` RGB, uint8 ``[H, W]`` grey or uint16 ``[H, W]`` depth
            (pass ``interpolation="nearest"`` for depth).
        short: Length of the shorter output side.
        interpolation: ``"area"``, ``"linear"`` or ``"nearest"``.

    Returns:
        The resized frame, same dtype and channels; the input itself if already that size.
    """
    height, width = short_side_shape(frame.shape[0], frame.shape[1], short)
    return resize_to(frame, width, height, interpolation)


def rgb_to_grey(frame: np.ndarray) -> np.ndarray:
    """uint8 RGB ``[H, W, 3]`` -> uint8 grey ``[H, W]`` (OpenCV's BT.601 luma weights)."""
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


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
