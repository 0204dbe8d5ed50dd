"""Multi-view sampling for contrastive methods, and the ISC / CMD view recipes.

A multi-view transform returns a list of ``n`` arrays instead of one; the dataset turns
each into a tensor and an item's ``"x"`` (and ``"motion"``, ``"bone"``) becomes a list
of ``n`` tensors, view ``k`` at position ``k`` (see :class:`SkeletonDataset`).

The CMD view (:class:`CMDView`) also has a batched path: :meth:`CMDView.draw` makes a
sample's random draws with its generator (the same draws, in the same order, as the
per-sample call), and :meth:`CMDView.apply_batch` applies the drawn parameters of a
whole batch at once (one ``crop_resize_batch`` over the store's stream, one batched
3x3 map per joint). :meth:`SkeletonDataset.__getitems__` uses it when the transform has
these two methods, so the batched and per-sample paths give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from actionkit.data.transforms import JointCorruption, Shear, TemporalCropResize
from actionkit.kernels.joint_maps import apply_joint_maps
from actionkit.kernels.resample import crop_resize, crop_resize_batch

__all__ = ["MultiView", "CMDView", "ViewParams", "cmd_train_view", "cmd_test_view", "apply_joint_maps"]


class MultiView:
    """``n`` independently augmented views of one sample.

    The views are drawn one after the other from the sample's generator, so they are
    independent and reproducible. ``[T, M, V, C] -> list of n arrays``.

    Args:
        transform: The per-view transform (or one per view, a sequence of ``n``).
        n: Number of views.
    """

    def __init__(self, transform: Callable | Sequence[Callable], n: int = 2):
        if int(n) < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.n = int(n)
        if callable(transform):
            self.transforms = [transform] * self.n
        else:
            self.transforms = list(transform)
            if len(self.transforms) != self.n:
                raise ValueError(f"{len(self.transforms)} transforms given for {self.n} views")

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        return [t(x, rng) for t in self.transforms]

    # Batched path, available when every view's transform has it.
    @property
    def batchable(self) -> bool:
        return all(hasattr(t, "draw") and hasattr(t, "apply_batch") for t in self.transforms)

    def draw(self, num_frames: int, num_joints: int, rng: np.random.Generator) -> list[Any]:
        """The random parameters of the ``n`` views of one sample."""
        return [t.draw(num_frames, num_joints, rng) for t in self.transforms]

    def apply_batch(self, data: np.ndarray, starts: np.ndarray, params: list[list[Any]]) -> list[np.ndarray]:
        """Views of a batch: ``n`` arrays ``[B, T', M, V, C]`` (see :meth:`CMDView.apply_batch`)."""
        return [t.apply_batch(data, starts, [p[k] for p in params]) for k, t in enumerate(self.transforms)]

    def __repr__(self) -> str:
        if all(t is self.transforms[0] for t in self.transforms):
            return f"MultiView({self.transforms[0]!r}, n={self.n})"
        return f"MultiView({self.transforms!r}, n={self.n})"


@dataclass(frozen=True)
class ViewParams:
    """The random draws of one CMD view: a crop window and a 3x3 map per joint.

    ``maps[v]`` is applied as ``p' = maps[v] @ p`` to joint ``v`` (shear: ``S`` for
    every joint; corruption: 0 or ``A.T`` at the chosen joints, identity elsewhere).
    """

    start: int
    length: int
    maps: np.ndarray  # float32 [V, 3, 3]


class CMDView:
    """The ISC / CMD / I2MD view: temporal crop-resize, then shear or joint corruption.

    ``TemporalCropResize(crop, size)`` (or its centre crop when ``center_ratio`` is
    set), then with probability ``shear_p`` :class:`Shear` (``amplitude``), else
    :class:`JointCorruption` (``joints``). The per-sample call makes exactly the draws
    of ``Compose([TemporalCropResize(...), RandomChoice([Shear(), JointCorruption()])])``
    in the same order, so the two give the same views for the same generator.
    ``[T, M, V, 3] -> [size, M, V, 3]``.
    """

    def __init__(self, size: int = 64, crop: tuple[float, float] = (0.5, 1.0), *,
                 shear_p: float = 0.5, amplitude: float = 1.0, joints: int = 15,
                 center_ratio: float | None = None, spatial: bool = True):  # fmt: skip
        self.crop = TemporalCropResize(crop, size, center_ratio=center_ratio)
        self.shear, self.corrupt = Shear(amplitude), JointCorruption(joints)
        self.shear_p, self.spatial = float(shear_p), bool(spatial)
        self._eyes: dict[int, np.ndarray] = {}

    @property
    def size(self) -> int:
        return self.crop.size

    def draw(self, num_frames: int, num_joints: int, rng: np.random.Generator) -> ViewParams:
        """Draws one view's parameters for a sample of ``num_frames`` frames."""
        start, length = self.crop.window(num_frames, rng)
        if not self.spatial:
            return ViewParams(start, length, self._identity(num_joints))
        if rng.random() < self.shear_p:
            maps = np.empty((num_joints, 3, 3), dtype=np.float32)
            maps[:] = self.shear.matrix(rng)
            return ViewParams(start, length, maps)
        maps = self._identity(num_joints).copy()
        zero, idx, mix = self.corrupt.draw(num_joints, rng)
        maps[idx] = 0.0 if zero else mix.T
        return ViewParams(start, length, maps)

    def _identity(self, num_joints: int) -> np.ndarray:
        eye = self._eyes.get(num_joints)
        if eye is None:
            eye = self._eyes[num_joints] = np.tile(np.eye(3, dtype=np.float32), (num_joints, 1, 1))
            eye.flags.writeable = False
        return eye


    def apply(self, x: np.ndarray, params: ViewParams) -> np.ndarray:
        """Applies drawn parameters to one sample ``[T, M, V, 3]``."""
        out = crop_resize(x, params.start, params.length, self.crop.size)
        return apply_joint_maps(out, params.maps) if self.spatial else out

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.apply(x, self.draw(x.shape[0], x.shape[2], rng))

    def apply_batch(self, data: np.ndarray, starts: np.ndarray, params: Sequence[ViewParams]) -> np.ndarray:
        """Applies the parameters of B samples at once.

        Args:
            data: ``[N, M, V, 3]`` a store's concatenated stream.
            starts: ``[B]`` first frame of each sample in ``data``.
            params: B drawn :class:`ViewParams`.

        Returns:
            float32 ``[B, size, M, V, 3]``.
        """
        begin = np.asarray(starts, dtype=np.int64) + np.array([p.start for p in params], dtype=np.int64)
        lengths = np.array([p.length for p in params], dtype=np.int64)
        out = crop_resize_batch(data, begin, lengths, self.crop.size)
        if not self.spatial:
            return out
        return apply_joint_maps(out, np.stack([p.maps for p in params]))

    def __repr__(self) -> str:
        return (f"CMDView(size={self.size}, crop={self.crop.ratio}, center_ratio={self.crop.center_ratio}, "
                f"shear_p={self.shear_p}, amplitude={self.shear.amplitude}, joints={self.corrupt.joints}, "
                f"spatial={self.spatial})")  # fmt: skip


def cmd_train_view(size: int = 64, crop: tuple[float, float] = (0.5, 1.0)) -> CMDView:
    """The I2MD / CMD training view: crop ``U[crop]`` resized to ``size``, then with
    p=0.5 shear (off-diagonals ``U(-1, 1)``) else joint corruption (15 joints).

    PKU-MMD uses ``crop=(0.1, 1.0)``. Wrap in ``MultiView(..., n=2)`` for the two views.
    """
    return CMDView(size, crop)


def cmd_test_view(size: int = 64) -> CMDView:
    """The I2MD / CMD test view: the centre 95% of the frames resized to ``size``."""
    return CMDView(size, center_ratio=0.95, spatial=False)
