"""PSTL's augmentation, the base code of ASMa (``--set augment.recipe=pstl``).

Zhou et al., "Self-supervised Action Representation Learning from Partial Spatio-Temporal
Skeleton Sequences" (AAAI 2023), whose released code ASMa builds on. Its pre-training view
of a clip already resized to the clip length (AimCLR's 50 frames) is, in this order:

1. a temporal crop of the same length from the clip padded on both sides with
   ``T // 6`` mirrored frames (:class:`PaddedCrop`);
2. a shear with off-diagonals ``U(-1, 1)`` (:class:`~actionkit.data.transforms.Shear`);
3. a rotation about one random main axis by ``U(0, 30)`` degrees and about the other two
   by ``U(0, 1)`` degrees (:class:`PSTLRotation`);
4. a left/right mirror with probability 0.5.

Its masks remove instead of zeroing: masked joints are taken out of the graph (with their
edges) after the encoder's data BatchNorm, masked frames out of the sequence; see
:class:`actionkit.data.masking.ASMaMasking` (``removal``) and the ASMa trainer.
"""

from __future__ import annotations

import math

import numpy as np

from actionkit.data import transforms as T
from actionkit.layouts import Layout

__all__ = ["PaddedCrop", "PSTLRotation", "pstl_augmentation"]


class PaddedCrop:
    """PSTL's temporal crop: ``T`` frames from the clip padded with ``T // ratio`` mirrored frames a side.

    ``[T, M, V, C] -> [T, M, V, C]``: the padding is the first (last) ``p`` frames in
    reverse order; the window starts at ``U{0 .. 2p}``.
    """

    def __init__(self, ratio: int = 6):
        if ratio < 1:
            raise ValueError(f"the padding ratio must be at least 1, got {ratio}")
        self.ratio = int(ratio)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        t = x.shape[0]
        pad = t // self.ratio
        start = int(rng.integers(0, 2 * pad + 1))
        if pad == 0:
            return np.array(x, dtype=np.float32, copy=True)
        padded = np.concatenate([x[:pad][::-1], x, x[-pad:][::-1]])
        return np.ascontiguousarray(padded[start:start + t], dtype=np.float32)

    def __repr__(self) -> str:
        return f"PaddedCrop(ratio={self.ratio})"


class PSTLRotation:
    """A rotation mostly about one axis: ``U(0, main)`` degrees about a random axis, ``U(0, minor)`` about the others.

    Applied about x, then y, then z (:func:`~actionkit.data.transforms.rotation_matrix`).
    """

    def __init__(self, main_degrees: float = 30.0, minor_degrees: float = 1.0):
        self.main_degrees, self.minor_degrees = float(main_degrees), float(minor_degrees)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        main = int(rng.integers(0, 3))
        angles = [rng.uniform(0.0, self.main_degrees if axis == main else self.minor_degrees) for axis in range(3)]
        return T.apply_linear(x, T.rotation_matrix([math.radians(a) for a in angles]))

    def __repr__(self) -> str:
        return f"PSTLRotation(main_degrees={self.main_degrees}, minor_degrees={self.minor_degrees})"


def pstl_augmentation(frames: int, layout: Layout, shear: float = 1.0, flip: float = 0.5) -> T.Compose:
    """PSTL's view: resample to ``frames``, padded crop, shear, rotation, mirror (module docstring)."""
    steps = [T.UniformResample(frames, mode="linear"), PaddedCrop(6), T.Shear(shear), PSTLRotation()]
    if flip and layout.flip_pairs:
        steps.append(T.Flip(layout, p=flip))
    return T.Compose(steps)
