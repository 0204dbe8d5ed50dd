"""Motion and bone streams from joint coordinates.

- motion: ``m[t] = x[t + 1] - x[t]`` and ``m[T - 1] = 0``;
- bone: ``b[..., v, :] = x[..., v, :] - x[..., parents[v], :]`` (the centre joint is its
  own parent, so its bone is 0; see :mod:`actionkit.layouts`).

Both come for one sample ``[T, M, V, C]`` and in a "ragged" form over a store's
concatenated stream ``[N, M, V, C]`` with per-sample ``starts`` and ``frames``: the
motion of a sample's last frame is 0, so motion never crosses a sample boundary, and
frames that belong to no sample are 0 in the output.

The module also holds the input checks shared by the other kernel modules.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "streams_channels_first",
    "as_sequence",
    "check_ragged",
    "check_parents",
    "motion",
    "bone",
    "motion_ragged",
    "bone_ragged",
]


def as_sequence(x: np.ndarray, name: str = "joint", ndim: int = 4) -> np.ndarray:
    """Returns ``x`` as a C-contiguous float32 array, checking its rank.

    Args:
        x: Array, normally ``[T, M, V, C]``.
        name: The argument's name, for error messages.
        ndim: The required number of dimensions.

    Returns:
        ``x`` itself when already float32 and C-contiguous, else a converted copy.

    Raises:
        ValueError: If ``x`` does not have ``ndim`` dimensions.
    """
    arr = np.ascontiguousarray(x, dtype=np.float32)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    return arr


def check_ragged(
    num_frames: int, starts: np.ndarray, frames: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Validates per-sample offsets into a concatenated stream.

    Args:
        num_frames: Length N of the concatenated stream.
        starts: ``[B]`` first frame of each sample.
        frames: ``[B]`` number of frames of each sample.

    Returns:
        ``(starts, frames)`` as C-contiguous int64 arrays.

    Raises:
        ValueError: On mismatched lengths, negative values, samples that run past the
            stream's end, or samples that overlap.
    """
    s = np.ascontiguousarray(starts, dtype=np.int64).reshape(-1)
    f = np.ascontiguousarray(frames, dtype=np.int64).reshape(-1)
    if s.shape != f.shape:
        raise ValueError(f"starts and frames differ in length: {s.shape[0]} vs {f.shape[0]}")
    if s.size == 0:
        return s, f
    if (s < 0).any() or (f < 0).any():
        raise ValueError("starts and frames must be non-negative")
    if (s + f > num_frames).any():
        raise ValueError(f"a sample runs past the end of the stream ({num_frames} frames)")
    nonempty = f > 0
    order = np.argsort(s[nonempty], kind="stable")
    begins = s[nonempty][order]
    ends = begins + f[nonempty][order]
    if (begins[1:] < ends[:-1]).any():
        raise ValueError("samples overlap in the stream")
    return s, f


def check_parents(parents: np.ndarray | tuple[int, ...], num_joints: int) -> np.ndarray:
    """Validates a parent table (``Layout.parents``) and returns it as int64 ``[V]``.

    Raises:
        ValueError: If its length is not ``num_joints`` or an entry is out of range.
    """
    p = np.ascontiguousarray(parents, dtype=np.int64).reshape(-1)
    if p.shape[0] != num_joints:
        raise ValueError(f"parents has {p.shape[0]} entries for {num_joints} joints")
    if p.size and (p.min() < 0 or p.max() >= num_joints):
        raise ValueError("parents holds an index outside the joints")
    return p


@njit(cache=True)
def _motion_rows(x, out, begin, end):
    # x, out: [N, K] views; writes out[begin:end] as the motion of frames begin..end-1.
    k = x.shape[1]
    for t in range(begin, end - 1):
        for i in range(k):
            out[t, i] = x[t + 1, i] - x[t, i]
    if end > begin:
        for i in range(k):
            out[end - 1, i] = 0.0


@njit(cache=True)
def _motion_kernel(x, out):
    n = x.shape[0]
    xf = x.reshape(n, x.size // max(n, 1))
    of = out.reshape(n, out.size // max(n, 1))
    _motion_rows(xf, of, 0, n)


@njit(cache=True)
def _motion_ragged_kernel(x, starts, frames, out):
    n = x.shape[0]
    xf = x.reshape(n, x.size // max(n, 1))
    of = out.reshape(n, out.size // max(n, 1))
    for b in range(starts.shape[0]):
        _motion_rows(xf, of, starts[b], starts[b] + frames[b])


@njit(cache=True)
def _bone_index(parents, num_channels):
    # Flat source index of every (joint, channel) entry's parent entry within a frame row.
    nv = parents.shape[0]
    idx = np.empty(nv * num_channels, dtype=np.int64)
    for v in range(nv):
        for c in range(num_channels):
            idx[v * num_channels + c] = parents[v] * num_channels + c
    return idx


@njit(cache=True)
def _bone_rows(xf, idx, out, begin, end):
    # xf, out: [N * M, V * C] rows; idx: [V * C] parent entry of each entry.
    # Gather first, then subtract: the second loop is contiguous and vectorises.
    k = idx.shape[0]
    for r in range(begin, end):
        for i in range(k):
            out[r, i] = xf[r, idx[i]]
        for i in range(k):
            out[r, i] = xf[r, i] - out[r, i]


@njit(cache=True)
def _bone_kernel(x, parents, out):
    rows = x.shape[0] * x.shape[1]
    k = x.shape[2] * x.shape[3]
    idx = _bone_index(parents, x.shape[3])
    _bone_rows(x.reshape(rows, k), idx, out.reshape(rows, k), 0, rows)


@njit(cache=True)
def _bone_ragged_kernel(x, parents, starts, frames, out):
    nb = x.shape[1]
    rows = x.shape[0] * nb
    k = x.shape[2] * x.shape[3]
    idx = _bone_index(parents, x.shape[3])
    xf = x.reshape(rows, k)
    of = out.reshape(rows, k)
    for b in range(starts.shape[0]):
        _bone_rows(xf, idx, of, starts[b] * nb, (starts[b] + frames[b]) * nb)


def motion(joint: np.ndarray) -> np.ndarray:
    """Temporal differences of one sample.

    Args:
        joint: ``[T, M, V, C]`` joint coordinates.

    Returns:
        float32 ``[T, M, V, C]``: ``out[t] = joint[t + 1] - joint[t]``, ``out[T - 1] = 0``.
    """
    x = as_sequence(joint)
    out = np.empty_like(x)
    _motion_kernel(x, out)
    return out


def bone(joint: np.ndarray, parents: np.ndarray | tuple[int, ...]) -> np.ndarray:
    """Bone vectors of one sample.

    Args:
        joint: ``[T, M, V, C]`` joint coordinates.
        parents: ``[V]`` parent of each joint (``Layout.parents``).

    Returns:
        float32 ``[T, M, V, C]``: ``out[..., v, :] = joint[..., v, :] - joint[..., parents[v], :]``.
    """
    x = as_sequence(joint)
    p = check_parents(parents, x.shape[2])
    out = np.empty_like(x)
    _bone_kernel(x, p, out)
    return out


def motion_ragged(stream: np.ndarray, starts: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Motion of every sample of a concatenated stream, without crossing samples.

    Args:
        stream: ``[N, M, V, C]`` frames of all samples, concatenated.
        starts: ``[B]`` first frame of each sample in ``stream``.
        frames: ``[B]`` frame count of each sample; samples must not overlap.

    Returns:
        float32 ``[N, M, V, C]``; each sample's last frame and frames of no sample are 0.
    """
    x = as_sequence(stream, "stream")
    s, f = check_ragged(x.shape[0], starts, frames)
    out = np.zeros_like(x)
    _motion_ragged_kernel(x, s, f, out)
    return out


def bone_ragged(
    stream: np.ndarray,
    starts: np.ndarray,
    frames: np.ndarray,
    parents: np.ndarray | tuple[int, ...],
) -> np.ndarray:
    """Bones of every sample of a concatenated stream.

    Args:
        stream: ``[N, M, V, C]`` frames of all samples, concatenated.
        starts: ``[B]`` first frame of each sample in ``stream``.
        frames: ``[B]`` frame count of each sample; samples must not overlap.
        parents: ``[V]`` parent of each joint.

    Returns:
        float32 ``[N, M, V, C]``; frames that belong to no sample are 0.
    """
    x = as_sequence(stream, "stream")
    s, f = check_ragged(x.shape[0], starts, frames)
    p = check_parents(parents, x.shape[2])
    out = np.zeros_like(x)
    _bone_ragged_kernel(x, p, s, f, out)
    return out


@njit(cache=True)
def streams_channels_first(x, parents, xo, mo, bo, want_motion, want_bone):
    """Joint, motion and bone of a batch, written straight into the models' layout.

    One pass over ``x [B, T, M, V, C]`` fills ``xo`` (joint), ``mo`` (motion, 0 on each
    sample's last frame) and ``bo`` (bone, ``x[v] - x[parents[v]]``), all
    ``[B, C, T, V, M]``; ``mo``/``bo`` are ignored unless ``want_motion``/``want_bone``.
    """
    nb, nt, nm, nv, nc = x.shape
    for b in range(nb):
        for t in range(nt):
            for m in range(nm):
                for v in range(nv):
                    p = parents[v]
                    for c in range(nc):
                        val = x[b, t, m, v, c]
                        xo[b, c, t, v, m] = val
                        if want_motion:
                            mo[b, c, t, v, m] = x[b, t + 1, m, v, c] - val if t < nt - 1 else 0.0
                        if want_bone:
                            bo[b, c, t, v, m] = val - x[b, t, m, p, c]
