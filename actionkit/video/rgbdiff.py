"""RGB difference (MML, after TSN): motion from consecutive decoded frames, no flow needed.

Six consecutive frames give five differences, stacked along channels as one network
input. The difference is computed on the fly from decoded RGB frames
(:class:`RGBDifference`), or stored as its own stream, for which the signed differences
are mapped to uint8 (:func:`encode_rgbdiff`).
"""

from __future__ import annotations

import numpy as np


def rgb_difference(frames: np.ndarray) -> np.ndarray:
    """Consecutive differences: uint8 ``[T, H, W, 3]`` -> int16 ``[T-1, H, W, 3]``, ``frames[t+1] - frames[t]``."""
    if frames.ndim != 4 or len(frames) < 2:
        raise ValueError(f"RGB difference needs [T >= 2, H, W, 3] frames, got {frames.shape}")
    as_int = frames.astype(np.int16)
    return as_int[1:] - as_int[:-1]


class RGBDifference:
    """Clip of ``segments * num_frames`` RGB frames -> stacked differences per segment.

    Args:
        num_frames: Consecutive frames per segment (MML, TSN: 6, giving 5 differences).
        scale: Multiplies the differences (default 1/255: values in [-1, 1]).

    Call:
        frames: uint8 ``[segments * num_frames, H, W, 3]`` (a segment sampler's output).

    Returns:
        float32 ``[segments, (num_frames - 1) * 3, H, W]``; channels ordered difference
        by difference, each R, G, B: ``[d0_R, d0_G, d0_B, d1_R, ...]``.
    """

    def __init__(self, num_frames: int = 6, scale: float = 1.0 / 255.0):
        if num_frames < 2:
            raise ValueError("an RGB difference needs at least 2 frames per segment")
        self.num_frames = num_frames
        self.scale = scale

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        t, h, w, c = frames.shape
        if t % self.num_frames or c != 3:
            raise ValueError(f"expected [segments * {self.num_frames}, H, W, 3] frames, got {frames.shape}")
        seg = frames.reshape(t // self.num_frames, self.num_frames, h, w, 3).astype(np.float32)
        diff = (seg[:, 1:] - seg[:, :-1]) * self.scale  # [S, n-1, H, W, 3]
        return np.ascontiguousarray(diff.transpose(0, 1, 4, 2, 3).reshape(len(seg), -1, h, w))


def encode_rgbdiff(diff: np.ndarray) -> np.ndarray:
    """Signed differences in [-255, 255] -> uint8 ``(d + 255) // 2`` (one bit of precision lost)."""
    return ((diff.astype(np.int16) + 255) // 2).astype(np.uint8)


def decode_rgbdiff(levels: np.ndarray) -> np.ndarray:
    """uint8 levels -> int16 differences ``2 q - 255`` (within 1 of the original, before any JPEG loss)."""
    return levels.astype(np.int16) * 2 - 255
