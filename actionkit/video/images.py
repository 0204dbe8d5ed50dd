"""Frames as stored: short-side resizing and JPEG / PNG coding (RGB order throughout).

OpenCV works in BGR; every function here takes and returns RGB, converting at the
OpenCV boundary, so a caller never meets a BGR array.
"""

from __future__ import annotations

import cv2
import numpy as np

INTERPOLATIONS = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}


class ImageError(Exception):
    """An encoded image that cannot be decoded (the message names where it came from)."""


def short_side_size(height: int, width: int, short: int) -> tuple[int, int]:
    """``(height, width)`` after resizing so the shorter side is ``short`` (aspect kept, rounded)."""
    if height <= width:
        return short, max(1, round(width * short / height))
    return max(1, round(height * short / width)), short


def resize_to(frame: np.ndarray, width: int, height: int, interpolation: str = "area") -> np.ndarray:
    """Resize ``frame`` (``[H, W]`` or ``[H, W, C]``) to ``width`` x ``height``.

    ``area`` averages the source pixels under each target pixel, the right filter for
    shrinking; when enlarging it would act like ``nearest``, so ``linear`` is used then.
    ``nearest`` is for depth maps: it never invents a value between two surfaces.

    Raises:
        ValueError: an unknown interpolation.
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {interpolation!r}; valid: {', '.join(INTERPOLATIONS)}")
    h, w = frame.shape[:2]
    if (h, w) == (height, width):
        return frame
    if interpolation == "area" and (height > h or width > w):
        interpolation = "linear"
    return cv2.resize(frame, (width, height), interpolation=INTERPOLATIONS[interpolation])


def resize_short_side(frame: np.ndarray, short: int, *, interpolation: str = "area") -> np.ndarray:
    """Resize so the shorter side is ``short`` pixels, keeping the aspect ratio.

    640x480 -> 341x256, 1920x1080 -> 455x256, 320x240 -> 341x256 (enlarged, linear).
    """
    height, width = short_side_size(*frame.shape[:2], short)
    return resize_to(frame, width, height, interpolation)


def rgb_to_grey(frame: np.ndarray) -> np.ndarray:
    """uint8 RGB ``[H, W, 3]`` -> uint8 grey ``[H, W]`` (ITU-R BT.601 weights, as OpenCV)."""
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def _encode(ext: str, image: np.ndarray, params: list[int]) -> bytes:
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(ext, image, params)
    if not ok:
        raise ImageError(f"OpenCV could not encode a {image.dtype} {image.shape} image as {ext}")
    return buf.tobytes()


def encode_jpeg(image: np.ndarray, quality: int = 95) -> bytes:
    """A JPEG of uint8 RGB ``[H, W, 3]`` or grey ``[H, W]``."""
    if image.dtype != np.uint8:
        raise ValueError(f"JPEG needs uint8 pixels, got {image.dtype}")
    return _encode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])


def encode_png(image: np.ndarray, compression: int = 1) -> bytes:
    """A lossless PNG of uint8 or uint16 ``[H, W]`` or ``[H, W, 3]`` (zlib level ``compression``)."""
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"PNG needs uint8 or uint16 pixels, got {image.dtype}")
    return _encode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, int(compression)])


def decode_image(data: bytes, *, what: str = "image") -> np.ndarray:
    """Decode a JPEG or PNG exactly as it was encoded: dtype, channels (RGB order) kept.

    Raises:
        ImageError: empty, truncated or corrupt data (``what`` names the source).
    """
    if not data:
        raise ImageError(f"{what}: empty image data")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageError(f"{what}: corrupt or truncated image ({len(data)} bytes)")
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2RGB if image.shape[2] == 4 else cv2.COLOR_BGR2RGB
        image = cv2.cvtColor(image, code)
    return image
