"""RGB difference (MML, after TSN): motion from consecutive frames, without optical flow.

A segment of 6 consecutive frames gives 5 differences, stacked along channels into one
network input. The differences are either computed on the fly from decoded RGB frames
(:class:`RGBDifference`), or kept as a stream of their own, for which the signed values
are mapped onto uint8 (:func:`encode_rgbdiff`, undone by :func:`decode_rgbdiff`).
"""

from __future__ import annotations

import numpy as np


def rgb_difference(frames: np.ndarray) -> np.ndarray:
    """Differences of consecutive frames, signed and exact.

    Args:
        frames: uint8 ``[T, H, W, 3]``, T >= 2.

    Returns:
        int16 ``[T-1, H, W, 3]``: ``frames[t+1] - frames[t]``, in -255..255.

    Raises:
        ValueError: not ``[T >= 2, H, W, 3]`` uint8.
    """
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[0] < 2 or frames.shape[3] != 3:
        raise ValueError(f"RGB difference needs uint8 [T >= 2, H, W, 3] frames, got {frames.dtype} {frames.shape}")
    wide = frames.astype(np.int16)
    return wide[1:] - wide[:-1]


class RGBDifference:
    """Transform: a clip of ``segments * num_frames`` frames -> each segment's stacked differences.

    Each segment of ``num_frames`` consecutive frames (as a segment sampler produces them)
    gives ``num_frames - 1`` differences, stacked along channels difference by
    difference, R, G, B within each: channel ``3 * k + c`` is colour ``c`` of
    ``frame[k+1] - frame[k]`` of the segment.

    The differences are multiplied by ``scale``; the default 1/255 gives values in
    [-1, 1], the scale of RGB frames divided by 255. No mean is subtracted: differences
    average about zero already. For comparison, TSN (tsn-pytorch, ResNet backbones)
    divides frames by 255 and normalises differences with mean 0 and standard deviation
    twice the mean ImageNet one (0.452); ``scale=1 / (255 * 0.452)`` reproduces that,
    ``scale=1.0`` keeps the raw -255..255.

    Args:
        num_frames: Consecutive frames per segment (6 in MML and TSN: 5 differences).
        scale: Factor applied to the differences.

    Call:
        frames: uint8 ``[segments * num_frames, H, W, 3]``.

    Returns:
        float32 ``[segments, (num_frames - 1) * 3, H, W]``.
    """

    def __init__(self, num_frames: int = 6, scale: float = 1.0 / 255.0):
        if num_frames < 2:
            raise ValueError(f"an RGB difference needs at least 2 frames per segment, got {num_frames}")
        self.num_frames = int(num_frames)
        self.scale = float(scale)

    def __repr__(self) -> str:
        return f"RGBDifference(num_frames={self.num_frames}, scale={self.scale!r})"

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        if (frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3 or not len(frames)
                or len(frames) % self.num_frames):
            raise ValueError(f"expected uint8 [segments * {self.num_frames}, H, W, 3] frames, "
                             f"got {frames.dtype} {frames.shape}")
        t, h, w, _ = frames.shape
        segments = frames.reshape(t // self.num_frames, self.num_frames, h, w, 3).astype(np.float32)
        diff = segments[:, 1:] - segments[:, :-1]  # [S, n-1, H, W, 3]
        if self.scale != 1.0:
            diff *= np.float32(self.scale)
        stacked = diff.transpose(0, 1, 4, 2, 3).reshape(len(segments), (self.num_frames - 1) * 3, h, w)
        return np.ascontiguousarray(stacked)


def encode_rgbdiff(diff: np.ndarray) -> np.ndarray:
    """Signed differences -> uint8 for storage: ``q = floor(d / 2) + 128``.

    -255..255 maps onto 0..255 exactly, zero onto 128 (the centre JPEG codes as 0).
    Halving drops the lowest bit; :func:`decode_rgbdiff` gives it back within 1.

    Args:
        diff: Integer differences in -255..255, any shape (e.g. int16 ``[H, W, 3]``).

    Returns:
        uint8 of the same shape.

    Raises:
        ValueError: values outside -255..255.
    """
    wide = diff.astype(np.int16)
    if wide.size and (wide.min() < -255 or wide.max() > 255):
        raise ValueError(f"RGB differences must lie in -255..255, got {wide.min()}..{wide.max()}")
    return (np.floor_divide(wide, 2) + 128).astype(np.uint8)


def decode_rgbdiff(levels: np.ndarray) -> np.ndarray:
    """uint8 levels -> int16 differences: ``d' = max(2 (q - 128), -255)``, undoing :func:`encode_rgbdiff`.

    ``d'`` is ``d`` rounded down to even (level 0 is -255, the one difference stored
    there), so ``d - d'`` is 0 or 1 before any JPEG loss, and zero comes back exactly.
    """
    return np.maximum((levels.astype(np.int16) - 128) * 2, -255).astype(np.int16)
