"""Per-frame motion scores and top/bottom-k frame masks (ASMa, eq. 3-4).

ASMa scores frame ``t`` by its mean absolute displacement (eq. 3-4)::

    m_c^v(t) = |x[t + 1, v, c] - x[t, v, c]|
    a_t      = 1 / (C * V) * sum_c sum_v m_c^v(t)

and masks the ``k`` frames with the largest scores (high-motion temporal masking,
HMTM) or the smallest (low-motion, LMTM).

Choices the paper leaves open, made here:

- Several bodies. The paper writes a single skeleton ``x_t`` in ``R^{C x V}`` (ASMa is
  single-person). For ``[T, M, V, C]`` input the M bodies are treated as extra joints:
  ``a_t`` is the mean of ``|x[t + 1] - x[t]|`` over all ``M * V * C`` entries, which is
  also the reduction of the PSTL code ASMa builds on (``mean`` over ``c, v, m``). An
  absent (all-zero) second body adds 0 to every frame, which scales the scores of a
  one-person clip uniformly and leaves the ranking unchanged.
- The last frame has no successor; its score is 0, as is its motion-stream value
  (``motion[T - 1] = 0``). So LMTM always includes the last frame.
- Ties are broken by frame order: among equal scores the earlier frame is taken first,
  for both the largest and the smallest k.

PSTL's own temporal masking differs (squared differences; keeps the lowest-motion frames
and then drops random ones); that is a reference detail, not the ASMa paper.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from actionkit.kernels.streams import as_sequence

__all__ = ["motion_scores", "motion_scores_batch", "topk_frames"]


# Reassociation lets LLVM vectorise the float64 sums (the summation order changes, so
# results may differ from a sequential sum in the last float64 bits).
_FAST = {"reassoc", "nsz"}


@njit(cache=True, fastmath=_FAST)
def _scores_rows(xf, out):
    # xf: [T, K] one sample flattened; out: [T] float64.
    t_len = xf.shape[0]
    k = xf.shape[1]
    for t in range(t_len - 1):
        acc = 0.0
        for i in range(k):
            acc += abs(xf[t + 1, i] - xf[t, i])
        out[t] = acc / k if k > 0 else 0.0
    if t_len > 0:
        out[t_len - 1] = 0.0


@njit(cache=True)
def _scores_kernel(x, out):
    n = x.shape[0]
    _scores_rows(x.reshape(n, x.size // max(n, 1)), out)


@njit(cache=True)
def _scores_batch_kernel(x, out):
    b_len = x.shape[0]
    t_len = x.shape[1]
    k = x.size // max(b_len * t_len, 1)
    xf = x.reshape(b_len, t_len, k)
    for b in range(b_len):
        _scores_rows(xf[b], out[b])


@njit(cache=True)
def _topk_kernel(scores, k, largest, out):
    # scores: [B, T] float64; out: [B, T] bool, pre-zeroed. Keeps the k best frames in a
    # sorted buffer; a later frame displaces an earlier one only if strictly better, so
    # ties go to the earlier frame.
    buf = np.empty(max(k, 1), dtype=np.int64)
    for b in range(scores.shape[0]):
        row = scores[b]
        count = 0
        for t in range(row.shape[0]):
            value = row[t]
            if count == k:
                if k == 0:
                    break
                worst = row[buf[k - 1]]
                if not (value > worst if largest else value < worst):
                    continue
                pos = k - 1
            else:
                pos = count
                count += 1
            while pos > 0:
                prev = row[buf[pos - 1]]
                if value > prev if largest else value < prev:
                    buf[pos] = buf[pos - 1]
                    pos -= 1
                else:
                    break
            buf[pos] = t
        for i in range(count):
            out[b, buf[i]] = True


def motion_scores(joint: np.ndarray) -> np.ndarray:
    """ASMa motion score of every frame of one sample.

    Args:
        joint: ``[T, M, V, C]`` joint coordinates.

    Returns:
        float64 ``[T]``: ``a_t`` = mean of ``|joint[t + 1] - joint[t]|`` over bodies, joints
        and channels; ``a_{T-1} = 0``.
    """
    x = as_sequence(joint)
    out = np.empty(x.shape[0], dtype=np.float64)
    _scores_kernel(x, out)
    return out


def motion_scores_batch(joints: np.ndarray) -> np.ndarray:
    """Motion scores of a batch of equal-length clips.

    Args:
        joints: ``[B, T, M, V, C]`` joint coordinates.

    Returns:
        float64 ``[B, T]``, each row as :func:`motion_scores`.
    """
    x = as_sequence(joints, "joints", ndim=5)
    out = np.empty(x.shape[:2], dtype=np.float64)
    _scores_batch_kernel(x, out)
    return out


def topk_frames(scores: np.ndarray, k: int, largest: bool = True) -> np.ndarray:
    """Marks the k highest- (HMTM) or lowest-scoring (LMTM) frames.

    Args:
        scores: ``[T]`` or ``[B, T]`` motion scores.
        k: Number of frames to mark per row, ``0 <= k <= T``.
        largest: Mark the largest scores when True, the smallest when False. Ties go
            to the earlier frame.

    Returns:
        bool array shaped like ``scores``, True on the ``k`` marked (to-be-masked) frames
        of each row.

    Raises:
        ValueError: If ``scores`` is not 1-D or 2-D, or ``k`` is outside ``[0, T]``.
    """
    s = np.ascontiguousarray(scores, dtype=np.float64)
    if s.ndim not in (1, 2):
        raise ValueError(f"scores must be [T] or [B, T], got shape {s.shape}")
    rows = s.reshape(1, -1) if s.ndim == 1 else s
    k = int(k)
    if not 0 <= k <= rows.shape[1]:
        raise ValueError(f"k={k} is outside [0, {rows.shape[1]}] frames")
    out = np.zeros(rows.shape, dtype=np.bool_)
    _topk_kernel(rows, k, bool(largest), out)
    return out.reshape(s.shape)
