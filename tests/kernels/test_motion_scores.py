"""ASMa motion scores (eq. 3-4) and top/bottom-k frame masks."""

import numpy as np
import pytest

from actionkit.kernels.motion_scores import motion_scores, motion_scores_batch, topk_frames


def slow_scores(x):
    t_len, m_len, v_len, c_len = x.shape
    out = np.zeros(t_len)
    for t in range(t_len - 1):
        total = 0.0
        for m in range(m_len):
            for v in range(v_len):
                for c in range(c_len):
                    total += abs(float(x[t + 1, m, v, c]) - float(x[t, m, v, c]))
        out[t] = total / (m_len * v_len * c_len)
    return out


def slow_topk(scores, k, largest):
    keyed = sorted(range(len(scores)), key=lambda t: (-scores[t] if largest else scores[t], t))
    mask = np.zeros(len(scores), dtype=bool)
    mask[keyed[:k]] = True
    return mask


def test_scores_match_reference():
    x = np.random.default_rng(0).standard_normal((23, 2, 25, 3)).astype(np.float32)
    out = motion_scores(x)
    assert out.shape == (23,) and out.dtype == np.float64
    np.testing.assert_allclose(out, slow_scores(x), rtol=1e-6, atol=1e-9)
    assert out[-1] == 0


def test_scores_hand_computed():
    x = np.zeros((3, 1, 2, 3), np.float32)
    x[1, 0, 0] = [1.0, -2.0, 0.0]  # |diff| sums to 3 over V*C = 6 entries
    x[2, 0, 0] = [1.0, -2.0, 0.0]
    x[2, 0, 1] = [0.0, 0.0, 6.0]
    np.testing.assert_allclose(motion_scores(x), [0.5, 1.0, 0.0])


def test_absent_second_body_scales_but_keeps_ranking():
    one = np.random.default_rng(1).standard_normal((30, 1, 25, 3)).astype(np.float32)
    two = np.concatenate([one, np.zeros_like(one)], axis=1)
    np.testing.assert_allclose(motion_scores(two), motion_scores(one) / 2, rtol=1e-6)
    np.testing.assert_array_equal(
        topk_frames(motion_scores(two), 10), topk_frames(motion_scores(one), 10)
    )


def test_batch_matches_single():
    x = np.random.default_rng(2).standard_normal((4, 50, 2, 25, 3)).astype(np.float32)
    out = motion_scores_batch(x)
    assert out.shape == (4, 50)
    for b in range(4):
        np.testing.assert_array_equal(out[b], motion_scores(x[b]))


def test_topk_hand_computed_with_ties():
    s = np.array([1.0, 3.0, 3.0, 0.0, 2.0])
    assert topk_frames(s, 2, largest=True).tolist() == [False, True, True, False, False]
    assert topk_frames(s, 1, largest=True).tolist() == [False, True, False, False, False]
    assert topk_frames(s, 2, largest=False).tolist() == [True, False, False, True, False]
    assert topk_frames(s, 0).sum() == 0 and topk_frames(s, 5).all()


@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_reference_on_random_rows(largest):
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, size=(16, 50)).astype(np.float64)  # many ties
    out = topk_frames(scores, 10, largest=largest)
    assert out.shape == scores.shape and np.all(out.sum(axis=1) == 10)
    for row, got in zip(scores, out):
        np.testing.assert_array_equal(got, slow_topk(row, 10, largest))


def test_topk_validation():
    with pytest.raises(ValueError, match="outside"):
        topk_frames(np.zeros(5), 6)
    with pytest.raises(ValueError, match=r"\[T\] or \[B, T\]"):
        topk_frames(np.zeros((2, 2, 2)), 1)
