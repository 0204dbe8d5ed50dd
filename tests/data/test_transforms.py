"""Skeleton transforms: hand-computed cases, zero bodies, reproducibility, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from actionkit.data import (
    Compose,
    Flip,
    GaussianNoise,
    JointCorruption,
    Normalize,
    RandomApply,
    RandomChoice,
    RandomRotation,
    RandomScale,
    Shear,
    TemporalCropResize,
    UniformResample,
    apply_linear,
    rotation_matrix,
)
from actionkit.kernels.resample import crop_resize
from actionkit.layouts import NTU25
from actionkit.normalize import ctrgcn


def sample(t: int = 50, m: int = 2, v: int = 25, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(t, m, v, 3)).astype(np.float32)


def test_rotation_by_90_degrees_about_y():
    r = rotation_matrix((0.0, math.pi / 2, 0.0))
    # CTR-GCN's Ry = [[c, 0, -s], [0, 1, 0], [s, 0, c]]: +x -> +z, +z -> -x, y fixed.
    np.testing.assert_allclose(r @ [1, 0, 0], [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(r @ [0, 0, 1], [-1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(r @ [0, 1, 0], [0, 1, 0], atol=1e-12)
    x = np.zeros((2, 1, 3, 3), np.float32)
    x[:, 0, 0] = [1.0, 2.0, 3.0]
    out = apply_linear(x, r)
    np.testing.assert_allclose(out[:, 0, 0], [[-3.0, 2.0, 1.0]] * 2, atol=1e-6)
    assert not out[:, 0, 1:].any()  # zero joints stay zero


def test_random_rotation_range_and_axes():
    x = sample()
    assert np.allclose(RandomRotation(0.0)(x, np.random.default_rng(0)), x)
    out = RandomRotation()(x, np.random.default_rng(1))  # default 0.3 rad, CTR-GCN
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-5)
    angles = np.random.default_rng(1).uniform(-0.3, 0.3, size=3)
    np.testing.assert_allclose(out, apply_linear(x, rotation_matrix(angles)), rtol=1e-6)
    y_only = RandomRotation(90.0, axes="y")(x, np.random.default_rng(2))
    np.testing.assert_allclose(y_only[..., 1], x[..., 1], atol=1e-6)
    with pytest.raises(ValueError, match="axes"):
        RandomRotation(axes="xw")


def test_crop_resize_endpoints():
    x = sample(100)
    # The centre 95% window of 100 frames is [2, 98): resized to its own length it is itself.
    out = TemporalCropResize(size=96, center_ratio=0.95)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(out, x[2:98])
    # A random window resized to its own length is the window.
    t = TemporalCropResize(ratio=(0.5, 1.0), size=64, min_length=1)
    start, length = t.window(100, np.random.default_rng(3))
    t_same = TemporalCropResize(ratio=(0.5, 1.0), size=length, min_length=1)
    np.testing.assert_array_equal(t_same(x, np.random.default_rng(3)), x[start : start + length])
    # Up-sampling (window <= size): the first output frame is the window's first frame.
    short = sample(40)
    out = TemporalCropResize()(short, np.random.default_rng(5))  # min_length 64: whole clip
    assert out.shape == (64, 2, 25, 3)
    np.testing.assert_array_equal(out[0], short[0])
    np.testing.assert_array_equal(out[-1], short[-1])
    np.testing.assert_array_equal(out, crop_resize(short, 0, 40, 64))


def test_uniform_resample_modes():
    x = sample(10)
    out = UniformResample(4)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(out, x[[0, 3, 6, 9]])  # int(linspace(0, 9, 4))
    out = UniformResample(30, mode="random")(x, np.random.default_rng(0))
    assert out.shape == (30, 2, 25, 3)
    assert UniformResample(20, mode="linear")(x, None).shape[0] == 20
    with pytest.raises(ValueError, match="linspace"):
        UniformResample(4, mode="nearest")


def test_flip_swaps_exactly_the_layout_pairs_and_negates_x():
    x = sample()
    out = Flip(NTU25, p=1.0)(x, np.random.default_rng(0))
    paired = {j for pair in NTU25.flip_pairs for j in pair}
    for left, right in NTU25.flip_pairs:
        np.testing.assert_array_equal(out[:, :, left, 0], -x[:, :, right, 0])
        np.testing.assert_array_equal(out[:, :, right, 1:], x[:, :, left, 1:])
    for v in set(range(25)) - paired:
        np.testing.assert_array_equal(out[:, :, v, 0], -x[:, :, v, 0])
        np.testing.assert_array_equal(out[:, :, v, 1:], x[:, :, v, 1:])
    np.testing.assert_array_equal(Flip(NTU25, p=0.0)(x, np.random.default_rng(0)), x)


def test_shear_of_a_unit_vector():
    x = np.zeros((1, 1, 2, 3), np.float32)
    x[0, 0, 0] = [1.0, 0.0, 0.0]
    x[0, 0, 1] = [0.0, 0.0, 1.0]
    out = Shear(1.0)(x, np.random.default_rng(7))
    s = Shear(1.0).matrix(np.random.default_rng(7))
    assert np.allclose(np.diag(s), 1.0) and (np.abs(s - np.eye(3)) <= 1.0).all()
    np.testing.assert_allclose(out[0, 0, 0], s[:, 0], rtol=1e-6)  # S @ e_x = first column
    np.testing.assert_allclose(out[0, 0, 1], s[:, 2], rtol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0], [1.0, s[1, 0], s[2, 0]], rtol=1e-6)


def test_joint_corruption_touches_exactly_the_chosen_joints():
    x = sample() + 5.0  # no zero coordinates
    seen_zero = seen_mix = False
    for seed in range(20):
        out = JointCorruption(15)(x, np.random.default_rng(seed))
        changed = np.flatnonzero((out != x).any(axis=(0, 1, 3)))
        assert len(changed) == 15
        zeroed = not out[:, :, changed].any()
        seen_zero |= zeroed
        if not zeroed:
            seen_mix = True
            zero, idx, mix = JointCorruption(15).draw(25, np.random.default_rng(seed))
            assert not zero and sorted(idx) == list(changed)
            np.testing.assert_allclose(out[:, :, idx], x[:, :, idx] @ mix, rtol=1e-5)
    assert seen_zero and seen_mix
    with pytest.raises(ValueError, match="cannot corrupt 30 of 25"):
        JointCorruption(30)(x, np.random.default_rng(0))


def test_noise_leaves_absent_bodies_zero():
    x = sample()
    x[:, 1] = 0.0  # second body absent
    x[10:20, 0] = 0.0  # first body leaves for ten frames
    out = GaussianNoise(0.1)(x, np.random.default_rng(0))
    assert not out[:, 1].any() and not out[10:20, 0].any()
    assert (out[:10, 0] != x[:10, 0]).all()
    assert 0.05 < np.std(out[:10, 0] - x[:10, 0]) < 0.2


def test_zero_bodies_stay_zero_under_linear_maps():
    x = sample()
    x[:, 1] = 0.0
    for t in (RandomRotation(), RandomScale(), Shear(), JointCorruption(), Flip(NTU25, p=1.0)):
        assert not t(x, np.random.default_rng(0))[:, 1].any(), t


def test_composition_and_reproducibility():
    x = sample()
    x_copy = x.copy()
    pipe = Compose([TemporalCropResize(), RandomChoice([Shear(), JointCorruption()]), RandomApply(RandomScale(), 0.5)])
    a = pipe(x, np.random.default_rng(11))
    b = pipe(x, np.random.default_rng(11))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (64, 2, 25, 3) and a.dtype == np.float32
    assert not np.array_equal(a, pipe(x, np.random.default_rng(12)))
    np.testing.assert_array_equal(x, x_copy)  # input untouched
    assert RandomApply(RandomScale(), 0.0)(x, np.random.default_rng(0)) is x
    with pytest.raises(ValueError, match="summing to 1"):
        RandomChoice([Shear(), JointCorruption()], p=[0.3, 0.3])


def test_normalize_wraps_the_named_normalisation():
    x = sample()
    np.testing.assert_array_equal(Normalize("ctrgcn")(x, np.random.default_rng(0)), ctrgcn(x))
    assert Normalize("aimclr", t_length=30)(x, None).shape[0] == 30
    with pytest.raises(KeyError, match="valid normalisations"):
        Normalize("nope")
