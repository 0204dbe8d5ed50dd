"""PSTL's augmentation: the mirrored-padding crop and the main-axis rotation."""

from __future__ import annotations

import math

import numpy as np

from actionkit.data.pstl import PaddedCrop, PSTLRotation, pstl_augmentation
from actionkit.data.transforms import rotation_matrix
from actionkit.layouts import NTU25


def test_padded_crop_windows_the_mirrored_padding():
    x = np.arange(12, dtype=np.float32)[:, None, None, None] * np.ones((1, 1, 2, 3), np.float32)
    starts = set()
    for seed in range(60):
        out = PaddedCrop(6)(x, np.random.default_rng(seed))
        assert out.shape == x.shape
        frames = out[:, 0, 0, 0].tolist()
        padded = [1, 0, *range(12), 11, 10]  # 12 // 6 = 2 mirrored frames a side
        start = next(s for s in range(5) if padded[s:s + 12] == frames)
        starts.add(start)
    assert starts == {0, 1, 2, 3, 4}


def test_rotation_is_mostly_about_one_axis():
    rng = np.random.default_rng(0)
    x = np.random.default_rng(1).normal(size=(4, 1, 5, 3)).astype(np.float32)
    for _ in range(20):
        state = rng.bit_generator.state
        out = PSTLRotation()(x, rng)
        rng2 = np.random.default_rng()
        rng2.bit_generator.state = state
        main = int(rng2.integers(0, 3))
        angles = [rng2.uniform(0, 30.0 if a == main else 1.0) for a in range(3)]
        assert max(angles) == angles[main] or angles[main] < 1.0
        expected = x @ rotation_matrix([math.radians(a) for a in angles]).T.astype(np.float32)
        np.testing.assert_allclose(out, expected, atol=1e-5)


def test_the_view_keeps_the_clip_length():
    x = np.random.default_rng(0).normal(size=(37, 2, 25, 3)).astype(np.float32)
    out = pstl_augmentation(50, NTU25)(x, np.random.default_rng(0))
    assert out.shape == (50, 2, 25, 3) and np.isfinite(out).all()
