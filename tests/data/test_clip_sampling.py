"""Clip samplers against hand-computed index sets, short videos included."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.data.clip_sampling import (
    DenseSampler,
    MixedSampler,
    RepeatedSampler,
    SegmentSampler,
    StridedClipSampler,
    UniformTestSampler,
    modality_offset,
)


def test_tsn_test_centres_and_multi_clip():
    # T = 80, S = 8: tick 10, centres 5, 15, ..., 75.
    assert SegmentSampler(8, train=False)(80).tolist() == [[5, 15, 25, 35, 45, 55, 65, 75]]
    # Two clips: offsets 0.25 and 0.75 of a part.
    assert SegmentSampler(4, train=False, clips=2)(40).tolist() == [[2, 12, 22, 32], [7, 17, 27, 37]]
    # Stacked flow: 5 consecutive frames per segment; T = 24, S = 2: span 20, tick 10, starts 5 and 15.
    assert SegmentSampler(2, 5, train=False)(24).tolist() == [[5, 6, 7, 8, 9, 15, 16, 17, 18, 19]]


def test_tsn_train_one_random_frame_per_segment():
    rng = np.random.default_rng(0)
    for _ in range(50):
        idx = SegmentSampler(8)(80, rng)[0]
        assert ((idx // 10) == np.arange(8)).all()  # one frame inside each part of 10


def test_tsn_short_videos():
    rng = np.random.default_rng(1)
    # T = 12 < 2 S: avg 0 but span > S -> sorted draws in range.
    idx = SegmentSampler(8)(12, rng)[0]
    assert (np.diff(idx) >= 0).all() and idx.max() < 12
    # T = 5 <= S: all segments start at 0.
    assert SegmentSampler(8)(5, rng).tolist() == [[0] * 8]
    # T = 3 frames but 6 per segment (RGB difference): repeats the last frame.
    assert SegmentSampler(1, 6, train=False)(3).tolist() == [[0, 1, 2, 2, 2, 2]]
    # tick 3/8: floor(0.375 (s + 0.5)) = 0, 0, 0, 1, 1, 2, 2, 2
    assert SegmentSampler(8, train=False)(3).tolist() == [[0, 0, 0, 1, 1, 2, 2, 2]]


def test_mml_uniform_and_dense_test_views():
    # Appendix 1, m = 2: {0, T/N, ...} and {0.5 T/N, ...}; T = 80, N = 8.
    assert UniformTestSampler(8, 2)(80).tolist() == [list(range(0, 80, 10)), list(range(5, 80, 10))]
    # Dense, tau 2, N 8: T' = 80 - 14 = 66; k = 1: start 33; k = 3: starts 0, 22, 44.
    assert DenseSampler(8, 2, train=False)(80).tolist() == [list(range(33, 49, 2))]
    assert DenseSampler(8, 2, train=False, views=3)(80)[:, 0].tolist() == [0, 22, 44]
    rng = np.random.default_rng(2)
    for _ in range(20):
        idx = DenseSampler(8, 2)(80, rng)[0]
        assert (np.diff(idx) == 2).all() and 0 <= idx[0] <= 66 - 1
    assert DenseSampler(8, 4)(10, rng).tolist() == [[0, 4, 8, 9, 9, 9, 9, 9]]  # shorter than the span


def test_mixed_sampler_uses_both():
    mixed = MixedSampler([SegmentSampler(8), DenseSampler(8, 2)])
    rng = np.random.default_rng(3)
    dense = sum(bool((np.diff(mixed(200, rng)[0]) == 2).all()) for _ in range(200))
    assert 60 < dense < 140
    with pytest.raises(ValueError, match="summing to 1"):
        MixedSampler([SegmentSampler(8)], [0.5])


def test_cmpl_strided_clips():
    primary, aux = StridedClipSampler(8, 8), StridedClipSampler(16, 4)
    assert primary.window == aux.window == 64
    rng = np.random.default_rng(4)
    p = primary(100, rng)[0]
    assert (np.diff(p) == 8).all() and p[-1] < 100
    a, b = StridedClipSampler.pair(primary, aux, 200, rng, offset=10)
    assert b[0] - a[0] == 10 and (np.diff(b) == 4).all()
    ten = StridedClipSampler(8, 8, train=False, clips=10)(300)
    assert ten.shape == (10, 8) and ten[0, 0] == 0 and ten[-1, 0] == 300 - 64
    assert StridedClipSampler(8, 8)(20, rng).tolist() == [[0, 8, 16, 19, 19, 19, 19, 19]]


def test_modality_offset_range():
    rng = np.random.default_rng(5)
    values = {modality_offset(10, 7, rng) for _ in range(200)}
    assert values == {0, 1, 2, 3} and modality_offset(5, 9, rng) == 0


def test_repeated_sampler_draws_independent_training_views():
    sampler = RepeatedSampler(SegmentSampler(8), views=10)
    views = sampler(80, np.random.default_rng(0))
    assert views.shape == (10, 8)
    again = sampler(80, np.random.default_rng(0))
    np.testing.assert_array_equal(views, again)
    for v in views:  # each a TSN training draw: one frame in each tenth-of-video part
        np.testing.assert_array_equal(v // 10, np.arange(8))
    assert len({tuple(v) for v in views}) > 1
    with pytest.raises(ValueError):
        RepeatedSampler(SegmentSampler(8), views=0)


def test_dense_and_uniform_views_of_consecutive_groups():
    dense = DenseSampler(4, 3, train=False, length=5)(40)
    assert dense.shape == (1, 20)
    # T' = 40 - 3 * 3 - 4 = 27, start 13; positions 13, 16, 19, 22, each followed by 4 more frames.
    np.testing.assert_array_equal(dense[0].reshape(4, 5)[:, 0], [13, 16, 19, 22])
    np.testing.assert_array_equal(dense[0].reshape(4, 5)[1], np.arange(16, 21))
    uniform = UniformTestSampler(4, 2, length=5)(40)
    # span 36: view 0 at floor(j * 9), view 1 at floor((j + 0.5) * 9).
    np.testing.assert_array_equal(uniform.reshape(2, 4, 5)[:, :, 0], [[0, 9, 18, 27], [4, 13, 22, 31]])
    assert uniform.max() <= 39
    assert DenseSampler(8, 2, length=5)(10, np.random.default_rng(0)).max() <= 9  # too short: clipped
