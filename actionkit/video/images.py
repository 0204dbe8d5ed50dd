"""Frames as a store keeps them: resizing to a short side, and RGB to grey.

OpenCV holds colour images in BGR order. Every function here takes and returns RGB and
converts at the OpenCV call, so no caller ever handles a BGR array. JPEG / PNG coding
is in :mod:`actionkit.codecs.images`, below the store, which decodes stored frames.
"""

from __future__ import annotations

import cv2
import numpy as np

INTERPOLATIONS: dict[str, int] = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}


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
