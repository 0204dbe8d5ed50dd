"""Multi-view sampling and the ISC / CMD view recipes, per sample and batched."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.data import (
    CMDView,
    Compose,
    JointCorruption,
    MultiView,
    RandomChoice,
    Shear,
    TemporalCropResize,
    cmd_test_view,
    cmd_train_view,
)
from actionkit.data.views import apply_joint_maps
from actionkit.kernels.resample import center_window, crop_resize


def sample(t: int = 90, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(t, 2, 25, 3)).astype(np.float32)
    x[:, 1] = 0.0
    return x


def test_multiview_gives_independent_reproducible_views():
    x = sample()
    views = MultiView(cmd_train_view(), n=3)(x, np.random.default_rng(0))
    assert len(views) == 3 and all(v.shape == (64, 2, 25, 3) for v in views)
    assert not np.array_equal(views[0], views[1])
    again = MultiView(cmd_train_view(), n=3)(x, np.random.default_rng(0))
    for a, b in zip(views, again):
        np.testing.assert_array_equal(a, b)
    assert all(not v[:, 1].any() for v in views)  # the absent body stays zero
    with pytest.raises(ValueError, match="2 transforms given for 3 views"):
        MultiView([cmd_train_view(), cmd_test_view()], n=3)


def test_cmd_view_matches_the_composed_transforms():
    composed = Compose([TemporalCropResize((0.5, 1.0), 64), RandomChoice([Shear(1.0), JointCorruption(15)])])
    view = cmd_train_view(64, (0.5, 1.0))
    for seed in range(12):
        x = sample(40 + 10 * seed, seed)
        a = view(x, np.random.default_rng(seed))
        b = composed(x, np.random.default_rng(seed))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_cmd_test_view_is_the_centre_crop():
    x = sample(120)
    start, length = center_window(120, 0.95)
    out = cmd_test_view(64)(x, np.random.default_rng(0))
    np.testing.assert_array_equal(out, crop_resize(x, start, length, 64))
    np.testing.assert_array_equal(out, cmd_test_view(64)(x, np.random.default_rng(1)))


def test_batched_views_equal_per_sample_views():
    xs = [sample(50 + 17 * i, i) for i in range(6)]
    stream = np.concatenate(xs)
    starts = np.cumsum([0] + [len(x) for x in xs[:-1]])
    mv = MultiView(CMDView(64, (0.5, 1.0)), n=2)
    params = [mv.draw(len(x), 25, np.random.default_rng(i)) for i, x in enumerate(xs)]
    batch = mv.apply_batch(stream, starts, params)
    assert len(batch) == 2 and batch[0].shape == (6, 64, 2, 25, 3)
    for i, x in enumerate(xs):
        single = mv(x, np.random.default_rng(i))
        for k in range(2):
            np.testing.assert_array_equal(batch[k][i], single[k])


def test_apply_joint_maps_is_a_map_per_joint():
    x = sample(5)
    maps = np.random.default_rng(0).normal(size=(25, 3, 3)).astype(np.float32)
    out = apply_joint_maps(x, maps)
    np.testing.assert_allclose(out, np.einsum("vij,tmvj->tmvi", maps, x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="do not fit"):
        apply_joint_maps(x, maps[:3])
