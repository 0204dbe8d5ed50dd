"""A 3x3 linear map per joint, applied to every frame and body (batched joint corruption)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["apply_joint_maps"]


@njit(cache=True)
def _joint_maps_kernel(x, maps, out):
    # x, out: [B, R, V, 3] (R = frames * bodies); maps: [B, V, 3, 3].
    for b in range(x.shape[0]):
        for r in range(x.shape[1]):
            for v in range(x.shape[2]):
                x0, x1, x2 = x[b, r, v, 0], x[b, r, v, 1], x[b, r, v, 2]
                for i in range(3):
                    out[b, r, v, i] = maps[b, v, i, 0] * x0 + maps[b, v, i, 1] * x1 + maps[b, v, i, 2] * x2


def apply_joint_maps(x: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """Applies a 3x3 map per joint: ``out[..., v, :] = maps[..., v, :, :] @ x[..., v, :]``.

    Args:
        x: ``[T, M, V, 3]`` sample or ``[B, T, M, V, 3]`` batch.
        maps: ``[V, 3, 3]`` or ``[B, V, 3, 3]`` (one set per sample).

    Returns:
        float32, the shape of ``x`` (float32 arithmetic; zero points stay zero).
    """
    single = x.ndim == 4
    xb = np.ascontiguousarray(x[None] if single else x, dtype=np.float32)
    mb = np.ascontiguousarray(maps[None] if single else maps, dtype=np.float32)
    b, t, m, v, c = xb.shape
    if c != 3 or mb.shape != (b, v, 3, 3):
        raise ValueError(f"maps {mb.shape} do not fit points {xb.shape}")
    out = np.empty_like(xb)
    _joint_maps_kernel(xb.reshape(b, t * m, v, 3), mb, out.reshape(b, t * m, v, 3))
    return out[0] if single else out
