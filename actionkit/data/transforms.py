"""Augmentations and load-time transforms of one skeleton sample.

Every transform is a small callable ``t(x, rng) -> x`` on one sample ``x`` of float32
``[T, M, V, C]`` (frames, bodies, joints, xyz: the store's layout) with an explicit
``np.random.Generator``, so a sample's augmentation is a function of the generator the
dataset derives from ``(seed, epoch, sample)``. A transform never modifies its input; it
returns a new float32 array (the frame count may change, e.g. a crop-resize).

Absent bodies and frames are zeros in a store. Linear maps (rotation, scaling, shear,
joint mixing, mirroring) keep zero vectors zero by themselves; :class:`GaussianNoise`
adds noise only to the bodies present in a frame.

Where each transform comes from:

- :class:`TemporalCropResize`: ISC / CMD / I2MD ``temporal_cropresize`` and
  ``crop_subsequence`` (``feeder/augmentations.py``), CTR-GCN ``valid_crop_resize``;
- :class:`Shear`, :class:`JointCorruption`: ISC / CMD ``pose_augmentation`` and
  ``joint_courruption``;
- :class:`RandomRotation`: CTR-GCN ``feeders/tools.py::random_rot``;
- :class:`RandomScale`, :class:`UniformResample`: CTR-GCN's NW-UCLA feeder;
- :class:`Flip`: left/right mirroring with the layout's pairs;
- :class:`Normalize`: :mod:`actionkit.normalize`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from actionkit.kernels.resample import center_window, crop_resize, random_window
from actionkit.layouts import Layout
from actionkit.normalize import get_normalization

__all__ = [
    "Transform",
    "Compose",
    "RandomApply",
    "RandomChoice",
    "TemporalCropResize",
    "UniformResample",
    "RandomRotation",
    "RandomScale",
    "Shear",
    "JointCorruption",
    "Flip",
    "GaussianNoise",
    "Normalize",
    "rotation_matrix",
    "apply_linear",
]


class Transform(Protocol):
    """What a transform is: ``t(x [T, M, V, C], rng) -> new array``."""

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Any: ...


def _sample(x: np.ndarray) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim != 4:
        raise ValueError(f"a skeleton sample must be [T, M, V, C], got shape {arr.shape}")
    return arr


def apply_linear(x: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Applies ``p' = matrix @ p`` to every point of a sample.

    Args:
        x: ``[T, M, V, C]`` sample.
        matrix: ``[C, C]`` linear map.

    Returns:
        float32 ``[T, M, V, C]`` (computed in float32; zero points stay zero).
    """
    x = _sample(x)
    m = np.asarray(matrix, dtype=np.float32)
    return np.matmul(x, m.T).astype(np.float32, copy=False)


def rotation_matrix(angles: Sequence[float]) -> np.ndarray:
    """CTR-GCN's rotation ``Rz @ Ry @ Rx`` for angles ``(ax, ay, az)`` in radians.

    The reference's elementary matrices are the transposes of the right-handed ones::

        Rx = [[1, 0, 0], [0, cx, sx], [0, -sx, cx]]
        Ry = [[cy, 0, -sy], [0, 1, 0], [sy, 0, cy]]
        Rz = [[cz, sz, 0], [-sz, cz, 0], [0, 0, 1]]

    so, applied as ``R @ p``, a positive ``ay`` turns +x towards +z. Kept as written.

    Returns:
        float64 ``[3, 3]``.
    """
    ax, ay, az = (float(a) for a in angles)
    cx, sx, cy, sy, cz, sz = (math.cos(ax), math.sin(ax), math.cos(ay), math.sin(ay),
                              math.cos(az), math.sin(az))  # fmt: skip
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cx, sx], [0.0, -sx, cx]])
    ry = np.array([[cy, 0.0, -sy], [0.0, 1.0, 0.0], [sy, 0.0, cy]])
    rz = np.array([[cz, sz, 0.0], [-sz, cz, 0.0], [0.0, 0.0, 1.0]])
    return rz @ ry @ rx


# ---------------------------------------------------------------- composition


class Compose:
    """Applies transforms in order, each with the same generator (drawing in turn)."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Any:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


class RandomApply:
    """Applies ``transform`` with probability ``p``, else returns the input unchanged.

    One ``rng.random()`` draw decides, always (so later draws do not shift with ``p``).
    """

    def __init__(self, transform: Callable, p: float = 0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.transform, self.p = transform, float(p)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Any:
        return self.transform(x, rng) if rng.random() < self.p else x

    def __repr__(self) -> str:
        return f"RandomApply({self.transform!r}, p={self.p})"


class RandomChoice:
    """Applies one of ``transforms``, chosen with probabilities ``p`` (default uniform).

    ISC / CMD pick their spatial augmentation this way: ``random() < 0.5`` -> shear,
    else joint corruption; ``RandomChoice([Shear(), JointCorruption()])`` draws one
    uniform and takes the first transform whose cumulative probability exceeds it.
    """

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None):
        self.transforms = list(transforms)
        if not self.transforms:
            raise ValueError("RandomChoice needs at least one transform")
        probs = np.full(len(self.transforms), 1.0 / len(self.transforms)) if p is None else np.asarray(p, float)
        if probs.shape != (len(self.transforms),) or (probs < 0).any() or not np.isclose(probs.sum(), 1.0):
            raise ValueError(f"p must be {len(self.transforms)} non-negative numbers summing to 1, got {p}")
        self.p = probs
        self._cum = np.cumsum(probs)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> Any:
        k = int(np.searchsorted(self._cum, rng.random(), side="right"))
        return self.transforms[min(k, len(self.transforms) - 1)](x, rng)

    def __repr__(self) -> str:
        return f"RandomChoice({self.transforms!r}, p={self.p.tolist()})"


# ---------------------------------------------------------------- temporal


class TemporalCropResize:
    """Crops a window of the frames and resizes it to ``size`` frames (linear).

    Training (ISC / CMD ``temporal_cropresize``): ``ratio ~ U[lo, hi)``, window length
    ``min(max(floor(T * ratio), min_length), T)``, start uniform
    (:func:`actionkit.kernels.resample.random_window`). The reference fixes
    ``min_length`` at 64 whatever the output size, so clips of 64 frames or fewer are
    used whole. Test (``center_ratio``, CMD's test view 0.95): the centred window
    ``[int((1 - r) * T / 2), T - start)`` (``crop_subsequence``). The window is resized
    with torch's ``interpolate(linear, align_corners=False)`` sampling
    (:func:`actionkit.kernels.resample.crop_resize`). ``[T, M, V, C] -> [size, M, V, C]``.

    Args:
        ratio: ``(lo, hi)`` range of the crop ratio (I2MD/CMD (0.5, 1.0), PKU (0.1, 1.0)).
        size: Output frames.
        center_ratio: If given, the deterministic centre crop of this ratio instead.
        min_length: Shortest random window before clipping to ``T``.
    """

    def __init__(self, ratio: tuple[float, float] = (0.5, 1.0), size: int = 64,
                 center_ratio: float | None = None, min_length: int = 64):  # fmt: skip
        lo, hi = ratio
        if not 0.0 < lo <= hi <= 1.0:
            raise ValueError(f"ratio must satisfy 0 < lo <= hi <= 1, got {ratio}")
        if center_ratio is not None and not 0.0 < center_ratio <= 1.0:
            raise ValueError(f"center_ratio must be in (0, 1], got {center_ratio}")
        self.ratio, self.size = (float(lo), float(hi)), int(size)
        self.center_ratio, self.min_length = center_ratio, int(min_length)

    def window(self, num_frames: int, rng: np.random.Generator | None) -> tuple[int, int]:
        """``(start, length)`` of the window for a sample of ``num_frames`` frames."""
        if self.center_ratio is not None:
            return center_window(num_frames, self.center_ratio)
        return random_window(num_frames, self.ratio, self.min_length, rng)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _sample(x)
        start, length = self.window(x.shape[0], rng)
        return crop_resize(x, start, length, self.size)

    def __repr__(self) -> str:
        if self.center_ratio is not None:
            return f"TemporalCropResize(size={self.size}, center_ratio={self.center_ratio})"
        return f"TemporalCropResize(ratio={self.ratio}, size={self.size}, min_length={self.min_length})"


class UniformResample:
    """Resamples to exactly ``size`` frames by frame indices (CTR-GCN, NW-UCLA feeder).

    - ``"linspace"`` (the feeder's test path): frames ``int(linspace(0, T - 1, size))``;
    - ``"random"`` (its training path): ``size`` indices drawn without replacement
      from every frame repeated 100 times, sorted (frames repeat when ``T < size``);
    - ``"linear"``: linear interpolation of the whole sequence (:func:`crop_resize`).

    ``[T, M, V, C] -> [size, M, V, C]``.
    """

    MODES = ("linspace", "random", "linear")

    def __init__(self, size: int, mode: str = "linspace"):
        if mode not in self.MODES:
            raise ValueError(f"unknown resample mode {mode!r}; valid: {', '.join(self.MODES)}")
        if int(size) < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self.size, self.mode = int(size), mode

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _sample(x)
        t = x.shape[0]
        if t < 1:
            raise ValueError("cannot resample an empty sample")
        if self.mode == "linear":
            return crop_resize(x, 0, t, self.size)
        if self.mode == "linspace":
            idx = np.linspace(0, t - 1, self.size).astype(np.int64)
        else:
            idx = np.sort(rng.choice(t * 100, self.size, replace=False) % t)
        return x[idx]

    def __repr__(self) -> str:
        return f"UniformResample({self.size}, mode={self.mode!r})"


# ---------------------------------------------------------------- spatial


class RandomRotation:
    """One random rotation of the whole sample (CTR-GCN ``random_rot``).

    Angles ``U(-max, max)`` are drawn for x, y and z (in that order) and combined as in
    :func:`rotation_matrix`; the same rotation applies to every frame and body, about the
    origin. The reference's range is ``theta=0.3`` radians (about 17.19 degrees), the
    default. Axes not in ``axes`` get angle 0 (their draw is still made).
    """

    def __init__(self, max_degrees: float = math.degrees(0.3), axes: str = "xyz"):
        if set(axes) - set("xyz"):
            raise ValueError(f"axes must be letters of 'xyz', got {axes!r}")
        self.max_degrees, self.axes = float(max_degrees), axes

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        theta = math.radians(self.max_degrees)
        angles = rng.uniform(-theta, theta, size=3)
        angles *= [a in self.axes for a in "xyz"]
        return apply_linear(x, rotation_matrix(angles))

    def __repr__(self) -> str:
        return f"RandomRotation(max_degrees={self.max_degrees:.4g}, axes={self.axes!r})"


class RandomScale:
    """Multiplies every coordinate by ``s ~ U(lo, hi)`` (one factor, or one per axis).

    CTR-GCN's NW-UCLA feeder scales by ``U(0.5, 1.5)`` (its ``rand_view_transform``).
    """

    def __init__(self, scale: tuple[float, float] = (0.5, 1.5), per_axis: bool = False):
        lo, hi = scale
        if not 0.0 < lo <= hi:
            raise ValueError(f"scale must satisfy 0 < lo <= hi, got {scale}")
        self.scale, self.per_axis = (float(lo), float(hi)), bool(per_axis)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _sample(x)
        s = rng.uniform(*self.scale, size=x.shape[-1] if self.per_axis else 1)
        return (x * s.astype(np.float32)).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"RandomScale({self.scale}, per_axis={self.per_axis})"


class Shear:
    """Random shear (ISC / CMD / AimCLR ``pose_augmentation``/``shear``).

    ``S = [[1, s01, s02], [s10, 1, s12], [s20, s21, 1]]`` with off-diagonals
    ``U(-amplitude, amplitude)`` drawn in that row-major order; every point becomes
    ``S @ p`` (the reference's ``dot(x, S.T)``).
    """

    def __init__(self, amplitude: float = 1.0):
        self.amplitude = float(amplitude)

    _OFF = (np.array([0, 0, 1, 1, 2, 2]), np.array([1, 2, 0, 2, 0, 1]))

    def matrix(self, rng: np.random.Generator) -> np.ndarray:
        """Draws the ``[3, 3]`` shear matrix (float64)."""
        s = np.eye(3)
        s[self._OFF] = rng.uniform(-self.amplitude, self.amplitude, size=6)
        return s

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return apply_linear(x, self.matrix(rng))

    def __repr__(self) -> str:
        return f"Shear(amplitude={self.amplitude})"


class JointCorruption:
    """ISC / CMD ``joint_courruption``: corrupt ``joints`` random joints of the sample.

    One draw ``u``: if ``u < p_zero`` the chosen joints are zeroed in every frame and
    body; else they are mixed by one random matrix ``A`` with entries ``U(-1, 1)``, as
    ``p' = A.T @ p`` (the reference's row-vector ``dot(p, A)``). The same joints and
    matrix apply to all frames and bodies; the others are untouched. The reference
    chooses 15 of 25 joints without replacement.
    """

    def __init__(self, joints: int = 15, p_zero: float = 0.5):
        if int(joints) < 0:
            raise ValueError(f"joints must be non-negative, got {joints}")
        self.joints, self.p_zero = int(joints), float(p_zero)

    def draw(self, num_joints: int, rng: np.random.Generator) -> tuple[bool, np.ndarray, np.ndarray | None]:
        """Draws ``(zero, joint indices, mixing matrix or None)``.

        The joints are the first ``joints`` of a random permutation (as the reference's
        legacy ``np.random.choice(V, k, replace=False)`` does).
        """
        if self.joints > num_joints:
            raise ValueError(f"cannot corrupt {self.joints} of {num_joints} joints")
        zero = bool(rng.random() < self.p_zero)
        idx = rng.permutation(num_joints)[: self.joints]
        mix = None if zero else rng.uniform(-1.0, 1.0, size=(3, 3)).astype(np.float32)
        return zero, idx, mix

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _sample(x)
        zero, idx, mix = self.draw(x.shape[2], rng)
        out = x.copy()
        out[:, :, idx, :] = 0.0 if zero else np.matmul(x[:, :, idx, :], mix)
        return out

    def __repr__(self) -> str:
        return f"JointCorruption(joints={self.joints}, p_zero={self.p_zero})"


class Flip:
    """Left/right mirror with probability ``p``: swap ``layout.flip_pairs``, negate x.

    Channel 0 (x, horizontal in camera space) changes sign and every ``(left, right)``
    pair of joints trades places; joints on the body's midline stay.
    """

    def __init__(self, layout: Layout, p: float = 0.5):
        if not layout.flip_pairs:
            raise ValueError(f"layout {layout.name!r} has no flip pairs")
        self.layout, self.p = layout, float(p)
        self.index = layout.flip_index
        self._sign = np.array([-1.0, 1.0, 1.0], dtype=np.float32)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _sample(x)
        if x.shape[2] != len(self.index):
            raise ValueError(f"layout {self.layout.name!r} has {len(self.index)} joints, sample has {x.shape[2]}")
        if rng.random() >= self.p:
            return x.copy()
        return x[:, :, self.index, :] * self._sign[: x.shape[-1]]

    def __repr__(self) -> str:
        return f"Flip({self.layout.name!r}, p={self.p})"


class GaussianNoise:
    """Adds ``N(0, std^2)`` to every coordinate of the bodies present in each frame.

    A body is present in a frame when any of its coordinates is non-zero; absent bodies
    (zeros) stay zero. CTR-GCN's NW-UCLA training feeder adds noise of std 0.02.
    """

    def __init__(self, std: float = 0.02):
        if std < 0:
            raise ValueError(f"std must be non-negative, got {std}")
        self.std = float(std)

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _sample(x)
        present = x.any(axis=(2, 3))[:, :, None, None]
        noise = rng.standard_normal(x.shape, dtype=np.float32) * np.float32(self.std)
        return x + noise * present

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std})"


class Normalize:
    """A named load-time normalisation (:func:`actionkit.normalize.get_normalization`).

    Deterministic (the generator is not used); ``[T, M, V, 3] -> [T', M, V, 3]``.
    Being deterministic, it is best given to ``SkeletonDataset(pre_transform=...)``,
    which applies it once per sample instead of once per epoch.
    """

    def __init__(self, name: str, **params: Any):
        self.name, self.params = name, params
        self.fn = get_normalization(name, **params)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return self.fn(x)

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Normalize({self.name!r}{args})"
