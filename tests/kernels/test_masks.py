"""Degree-weighted joint masks (ASMa eq. 1-2): probabilities, distribution, reproducibility."""

import itertools

import numpy as np
import pytest

from actionkit.kernels.masks import (
    degree_masks,
    degree_probabilities,
    resolve_seed,
    sample_joint_masks,
)
from actionkit.layouts import NTU25


def test_probabilities_follow_equations_1_and_2():
    d = NTU25.degrees.astype(np.float64)
    high = degree_probabilities(d, "high")
    low = degree_probabilities(d, "low")
    np.testing.assert_allclose(high, d / 48.0)
    np.testing.assert_allclose(low, (1 - d / 48.0) / 24.0)
    assert high.sum() == pytest.approx(1) and low.sum() == pytest.approx(1)
    assert high.argmax() == 20 and low.argmin() == 20  # SpineShoulder, degree 4
    with pytest.raises(ValueError, match="unknown masking mode"):
        degree_probabilities(d, "medium")


@pytest.mark.parametrize("mode", ["high", "low"])
def test_every_mask_has_n_distinct_joints(mode):
    m = degree_masks(NTU25.degrees, 9, 512, seed=5, mode=mode)
    assert m.shape == (512, 25) and m.dtype == np.bool_
    assert np.all(m.sum(axis=1) == 9)
    assert len({row.tobytes() for row in m}) > 400  # masks differ across the batch


def test_reproducible_and_independent_of_batch_size():
    a = degree_masks(NTU25.degrees, 9, 100, seed=123)
    b = degree_masks(NTU25.degrees, 9, 100, seed=123)
    c = degree_masks(NTU25.degrees, 9, 7, seed=123)
    d = degree_masks(NTU25.degrees, 9, 100, seed=124)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:7], c)
    assert not np.array_equal(a, d)
    g1 = degree_masks(NTU25.degrees, 9, 50, seed=np.random.default_rng(9))
    g2 = degree_masks(NTU25.degrees, 9, 50, seed=np.random.default_rng(9))
    np.testing.assert_array_equal(g1, g2)


@pytest.mark.parametrize("mode", ["high", "low"])
def test_first_draw_frequencies_match_p(mode):
    p = degree_probabilities(NTU25.degrees, mode)
    draws = 200_000
    freq = degree_masks(NTU25.degrees, 1, draws, seed=2024, mode=mode).mean(axis=0)
    sigma = np.sqrt(p * (1 - p) / draws)
    assert np.all(np.abs(freq - p) < 5 * sigma)


def test_inclusion_probabilities_without_replacement():
    # Successive sampling of 2 of 4: P(v in S) = p_v + sum_{u != v} p_u * p_v / (1 - p_u).
    p = np.array([0.1, 0.2, 0.3, 0.4])
    exact = np.array(
        [p[v] + sum(p[u] * p[v] / (1 - p[u]) for u in range(4) if u != v) for v in range(4)]
    )
    draws = 200_000
    m = sample_joint_masks(p, 2, draws, seed=77)
    freq = m.mean(axis=0)
    sigma = np.sqrt(exact * (1 - exact) / draws)
    assert np.all(np.abs(freq - exact) < 5 * sigma)
    # and the pair frequencies
    for u, v in itertools.combinations(range(4), 2):
        pair = p[u] * p[v] / (1 - p[u]) + p[v] * p[u] / (1 - p[v])
        got = (m[:, u] & m[:, v]).mean()
        assert abs(got - pair) < 5 * np.sqrt(pair * (1 - pair) / draws)


def test_zero_weight_joints_are_never_drawn_and_n_is_checked():
    p = np.array([0.0, 1.0, 2.0, 0.0, 3.0])
    m = sample_joint_masks(p, 3, 1000, seed=1)
    assert not m[:, [0, 3]].any() and np.all(m[:, [1, 2, 4]])
    with pytest.raises(ValueError, match="only 3"):
        sample_joint_masks(p, 4, 1, seed=1)
    with pytest.raises(ValueError, match="non-negative"):
        sample_joint_masks(np.array([1.0, -1.0]), 1, 1, seed=1)


def test_seed_validation():
    assert resolve_seed(2**64 - 1) == np.uint64(2**64 - 1)
    with pytest.raises(ValueError):
        resolve_seed(-1)
    with pytest.raises(TypeError):
        resolve_seed(1.5)
