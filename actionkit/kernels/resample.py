"""Temporal crop-and-resize and uniform resampling to a fixed length.

The interpolation is the one the ISC / CMD / CTR-GCN recipe gets from
``torch.nn.functional.interpolate(mode="linear" or "bilinear", align_corners=False)``
along time (OpenCV's ``resize(INTER_LINEAR)``, used by CrosSCLR/AimCLR to resize to 50
frames, samples at the same positions). For a window of ``L_in`` frames resized to
``L_out`` frames, output frame ``j`` is, for every body, joint and channel::

    s      = max((j + 0.5) * L_in / L_out - 0.5, 0)      # half-pixel centres
    i0     = floor(s),  i1 = min(i0 + 1, L_in - 1)
    lam    = s - i0
    out[j] = (1 - lam) * win[i0] + lam * win[i1]

Coordinates and weights are computed in float32 as torch does on CPU, and the weighted
sum is rounded the way torch's fused multiply-add kernel rounds it, so results equal
torch's bit for bit on FMA-capable CPUs and to one float32 ulp elsewhere. OpenCV's
float resize differs from both by about 1e-6 relative.

Resizing is deterministic given the window; the random draw of the window is
:func:`random_window` (ISC rule) and the test-time centre window is
:func:`center_window`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from actionkit.kernels.streams import as_sequence

__all__ = [
    "crop_resize",
    "crop_resize_batch",
    "resize",
    "random_window",
    "center_window",
]

_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)


@njit(cache=True)
def _resize_rows(xf, start, length, out):
    # xf: [N, K] frames; reads xf[start:start+length]; out: [L_out, K].
    l_out = out.shape[0]
    k = xf.shape[1]
    scale = np.float32(length) / np.float32(l_out)
    for j in range(l_out):
        src = (np.float32(j) + _HALF) * scale - _HALF
        if src < _ZERO:
            src = _ZERO
        i0 = min(np.int64(math.floor(src)), length - 1)
        i1 = i0 + 1 if i0 < length - 1 else i0
        lam1 = min(max(src - np.float32(i0), _ZERO), _ONE)
        lam0 = _ONE - lam1
        r0 = start + i0
        r1 = start + i1
        w0 = np.float64(lam0)
        for i in range(k):
            # round(x1 * lam1) first, then x0 * lam0 added with one rounding: the fused
            # multiply-add order of torch's CPU kernel (bit-identical results there).
            part = np.float64(lam1 * xf[r1, i])
            out[j, i] = np.float32(np.float64(xf[r0, i]) * w0 + part)


@njit(cache=True)
def _crop_resize_kernel(x, start, length, out):
    n = x.shape[0]
    l_out = out.shape[0]
    k = x.size // max(n, 1)
    _resize_rows(x.reshape(n, k), start, length, out.reshape(l_out, k))


@njit(cache=True)
def _crop_resize_batch_kernel(x, starts, lengths, out):
    n = x.shape[0]
    b_len = out.shape[0]
    l_out = out.shape[1]
    k = x.size // max(n, 1)
    xf = x.reshape(n, k)
    of = out.reshape(b_len, l_out, k)
    for b in range(b_len):
        _resize_rows(xf, starts[b], lengths[b], of[b])


def _check_out_len(out_len: int) -> int:
    out_len = int(out_len)
    if out_len < 1:
        raise ValueError(f"output length must be at least 1, got {out_len}")
    return out_len


def crop_resize(joint: np.ndarray, start: int, length: int, out_len: int) -> np.ndarray:
    """Crops ``joint[start:start + length]`` and resizes it to ``out_len`` frames.

    Args:
        joint: ``[T, M, V, C]`` sequence (any per-frame stream).
        start: First frame of the window.
        length: Window length, ``>= 1``, with ``start + length <= T``.
        out_len: Output length L.

    Returns:
        float32 ``[L, M, V, C]`` (linear interpolation along time, see the module doc).

    Raises:
        ValueError: If the window is empty or outside the sequence.
    """
    x = as_sequence(joint)
    start, length, out_len = int(start), int(length), _check_out_len(out_len)
    if length < 1 or start < 0 or start + length > x.shape[0]:
        raise ValueError(
            f"window [{start}, {start + length}) is empty or outside {x.shape[0]} frames"
        )
    out = np.empty((out_len,) + x.shape[1:], dtype=np.float32)
    _crop_resize_kernel(x, start, length, out)
    return out


def resize(joint: np.ndarray, out_len: int) -> np.ndarray:
    """Resizes a whole sequence to ``out_len`` frames (uniform linear resampling).

    Args:
        joint: ``[T, M, V, C]`` sequence, ``T >= 1``.
        out_len: Output length L.

    Returns:
        float32 ``[L, M, V, C]``; equals ``crop_resize(joint, 0, T, out_len)``.
    """
    x = as_sequence(joint)
    return crop_resize(x, 0, x.shape[0], out_len)


def crop_resize_batch(
    stream: np.ndarray, starts: np.ndarray, lengths: np.ndarray, out_len: int
) -> np.ndarray:
    """Crop-and-resize of B windows of a concatenated stream into one batch.

    Args:
        stream: ``[N, M, V, C]`` frames of all samples, concatenated (a store stream).
        starts: ``[B]`` absolute first frame of each window in ``stream`` (a sample's
            ``start`` plus its crop offset).
        lengths: ``[B]`` window lengths, each ``>= 1``.
        out_len: Output length L.

    Returns:
        float32 ``[B, L, M, V, C]``.

    Raises:
        ValueError: On mismatched lengths or a window empty or outside the stream.
    """
    x = as_sequence(stream, "stream")
    s = np.ascontiguousarray(starts, dtype=np.int64).reshape(-1)
    n = np.ascontiguousarray(lengths, dtype=np.int64).reshape(-1)
    out_len = _check_out_len(out_len)
    if s.shape != n.shape:
        raise ValueError(f"starts and lengths differ in length: {s.shape[0]} vs {n.shape[0]}")
    if s.size and ((n < 1).any() or (s < 0).any() or (s + n > x.shape[0]).any()):
        raise ValueError(f"a window is empty or outside the stream ({x.shape[0]} frames)")
    out = np.empty((s.shape[0], out_len) + x.shape[1:], dtype=np.float32)
    _crop_resize_batch_kernel(x, s, n, out)
    return out


def random_window(
    num_frames: int,
    ratio_range: tuple[float, float] = (0.5, 1.0),
    min_length: int = 64,
    rng: np.random.Generator | None = None,
) -> tuple[int, int]:
    """Draws a crop window the ISC / CMD way.

    ``ratio ~ U[lo, hi)``, ``length = min(max(floor(num_frames * ratio), min_length),
    num_frames)``, ``start ~ U{0, ..., num_frames - length}``. The reference code fixes
    ``min_length`` at 64 (its output length), so short clips are used whole.

    Args:
        num_frames: Valid frames of the sample, ``>= 1``.
        ratio_range: ``(lo, hi)`` of the crop ratio (I2MD/CMD: (0.5, 1.0); PKU: (0.1, 1.0)).
        min_length: Lower bound of the window length before clipping to ``num_frames``.
        rng: Random generator (a fresh unseeded one when None).

    Returns:
        ``(start, length)``.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, got {num_frames}")
    rng = np.random.default_rng() if rng is None else rng
    lo, hi = ratio_range
    ratio = rng.random() * (hi - lo) + lo
    length = min(max(int(math.floor(num_frames * ratio)), int(min_length)), int(num_frames))
    length = max(length, 1)
    start = int(rng.integers(0, num_frames - length + 1))
    return start, length


def center_window(num_frames: int, ratio: float) -> tuple[int, int]:
    """The test-time centre window: ``start = int((1 - ratio) * num_frames / 2)``.

    The window is ``[start, num_frames - start)`` as in ISC's ``crop_subsequence`` and
    CTR-GCN's ``valid_crop_resize`` with one ratio (I2MD/CMD test view: ratio 0.95).

    Returns:
        ``(start, length)``.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, got {num_frames}")
    start = int((1.0 - ratio) * num_frames / 2)
    length = num_frames - 2 * start
    if length < 1:
        raise ValueError(f"ratio {ratio} leaves no frame of {num_frames}")
    return start, length
