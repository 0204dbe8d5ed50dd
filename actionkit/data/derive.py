"""Motion and bone streams derived from batched joint tensors, on any device.

The CMD / I2MD reference derives motion and bone inside the training step, from the
augmented joint views already on the accelerator. Doing the same here keeps the loader
shipping one stream instead of three (a third of the bytes through the workers' shared
memory), and costs a few elementwise kernels on the device.

The definitions are those of :mod:`actionkit.kernels.streams` (METHODS.md, shared
vocabulary): motion ``x[t + 1] - x[t]`` with the last frame 0, bone
``x[v] - x[parents[v]]`` (0 at the root, whose parent is itself).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["motion_of", "bone_of", "derive_streams"]


def motion_of(x: torch.Tensor) -> torch.Tensor:
    """Temporal differences of a batch.

    Args:
        x: ``[B, C, T, V, M]`` joint coordinates.

    Returns:
        ``[B, C, T, V, M]``: ``out[:, :, t] = x[:, :, t + 1] - x[:, :, t]``, the last frame 0.
    """
    if x.dim() != 5:
        raise ValueError(f"expected a [B, C, T, V, M] batch, got shape {tuple(x.shape)}")
    return torch.nn.functional.pad(x[:, :, 1:] - x[:, :, :-1], (0, 0, 0, 0, 0, 1))


def bone_of(x: torch.Tensor, parents: Sequence[int] | np.ndarray | torch.Tensor) -> torch.Tensor:
    """Bone vectors of a batch.

    Args:
        x: ``[B, C, T, V, M]`` joint coordinates.
        parents: ``[V]`` parent of each joint (``Layout.parents``): a sequence, checked
            here, or a tensor already checked by its owner (only its shape is checked).

    Returns:
        ``[B, C, T, V, M]``: ``out[..., v, :] = x[..., v, :] - x[..., parents[v], :]``.
    """
    if x.dim() != 5:
        raise ValueError(f"expected a [B, C, T, V, M] batch, got shape {tuple(x.shape)}")
    v = x.shape[3]
    if isinstance(parents, torch.Tensor):
        # A caller-held tensor (e.g. a module buffer, checked once when built): only its
        # shape is checked, so that a training step never waits on the device.
        if parents.shape != (v,):
            raise ValueError(f"parents must hold {v} joint indices, got shape {tuple(parents.shape)}")
        p = parents.to(device=x.device, dtype=torch.long)
    else:
        arr = np.asarray(parents, dtype=np.int64)
        if arr.shape != (v,) or (arr < 0).any() or (arr >= v).any():
            raise ValueError(f"parents must hold {v} joint indices in 0..{v - 1}, got {arr.tolist()}")
        p = torch.from_numpy(arr).to(x.device)
    return x - x.index_select(3, p)


def derive_streams(
    x: torch.Tensor, parents: Sequence[int] | np.ndarray | torch.Tensor, streams: Sequence[str]
) -> dict[str, torch.Tensor]:
    """The requested streams of a joint batch.

    Args:
        x: ``[B, C, T, V, M]`` (augmented) joint coordinates.
        parents: ``[V]`` parent of each joint.
        streams: Names among ``joint``, ``motion``, ``bone``.

    Returns:
        ``{name: [B, C, T, V, M]}`` for each requested name (``joint`` is ``x`` itself).

    Raises:
        ValueError: An unknown stream name.
    """
    makers = {"joint": lambda: x, "motion": lambda: motion_of(x), "bone": lambda: bone_of(x, parents)}
    bad = [s for s in streams if s not in makers]
    if bad:
        raise ValueError(f"unknown stream(s) {bad}; valid: {', '.join(makers)}")
    return {s: makers[s]() for s in streams}
