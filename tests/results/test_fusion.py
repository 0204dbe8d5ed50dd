"""Fusion arithmetic against a hand computation, and matching by sample name."""

import numpy as np
import pytest

from actionkit.results import Scores, fuse, get_recipe, load_scores, save_scores
from actionkit.results.fusion import align

CLASSES = ("a", "b", "c")


def _scores(names, labels, rows, kind="logits"):
    return Scores(np.array(names), np.array(labels), np.array(rows, dtype=np.float32), CLASSES, kind)


def test_fusion_matches_a_hand_computation():
    # input 1: logits; softmax([0, ln 3, 0]) = [0.2, 0.6, 0.2]; softmax([ln 4, 0, 0]) = [4/6, 1/6, 1/6]
    one = _scores(["s1", "s2"], [0, 2], [[0.0, np.log(3.0), 0.0], [np.log(4.0), 0.0, 0.0]])
    # input 2: probabilities as they are
    two = _scores(["s1", "s2"], [0, 2], [[0.7, 0.1, 0.2], [0.1, 0.1, 0.8]], kind="probabilities")
    fused = fuse([one, two], weights=[0.6, 0.4])
    # s1: (0.6*[0.2,0.6,0.2] + 0.4*[0.7,0.1,0.2]) / 1.0 = [0.40, 0.40, 0.20]
    # s2: 0.6*[4/6,1/6,1/6] + 0.4*[0.1,0.1,0.8] = [0.44, 0.14, 0.42]
    np.testing.assert_allclose(fused.scores, [[0.40, 0.40, 0.20], [0.44, 0.14, 0.42]], atol=1e-6)
    assert fused.kind == "probabilities"
    # weights are normalised: scaling them changes nothing
    np.testing.assert_allclose(fuse([one, two], weights=[3.0, 2.0]).scores, fused.scores, atol=1e-6)


def test_shuffled_order_gives_the_same_result():
    rng = np.random.default_rng(0)
    names = [f"v{i:02d}" for i in range(20)]
    labels = rng.integers(0, 3, 20)
    a = _scores(names, labels, rng.normal(size=(20, 3)))
    b = _scores(names, labels, rng.normal(size=(20, 3)))
    perm = rng.permutation(20)
    b_shuffled = _scores(np.array(names)[perm], labels[perm], b.scores[perm])
    np.testing.assert_allclose(fuse([a, b]).scores, fuse([a, b_shuffled]).scores, atol=1e-7)
    assert fuse([a, b_shuffled]).names.tolist() == names


def test_a_missing_sample_is_refused_by_name():
    a = _scores(["x", "y", "z"], [0, 1, 2], np.eye(3))
    b = _scores(["x", "z"], [0, 2], np.eye(3)[[0, 2]])
    with pytest.raises(ValueError, match="sample 'y' of joint is missing from bone"):
        fuse([a, b], labels=["joint", "bone"])
    c = _scores(["x", "y", "z", "w"], [0, 1, 2, 0], np.eye(3)[[0, 1, 2, 0]])
    with pytest.raises(ValueError, match="sample 'w' of bone is missing from joint"):
        fuse([a, c], labels=["joint", "bone"])


def test_a_label_mismatch_and_bad_weights_are_refused():
    a = _scores(["x", "y"], [0, 1], np.eye(3)[:2])
    b = _scores(["y", "x"], [2, 0], np.eye(3)[:2])
    with pytest.raises(ValueError, match="sample 'y' has label 1 in input 1 but 2 in input 2"):
        align([a, b])
    with pytest.raises(ValueError, match="2 weights for 3 inputs"):
        fuse([a, a, a], weights=[1, 1])
    with pytest.raises(ValueError, match="two or more"):
        fuse([a])


def test_recipes():
    assert get_recipe("4s").weights == (0.6, 0.6, 0.4, 0.4)
    assert get_recipe("2s").streams == ("joint", "bone")
    with pytest.raises(KeyError, match="recipes: 2s, 3s, 4s"):
        get_recipe("5s")


def test_scores_file_round_trip_reads_without_pickle(tmp_path):
    s = _scores(["x", "y"], [0, 1], [[1.5, 0, 0], [0, 2, 0]])
    path = save_scores(s, tmp_path / "test.scores.npz")
    with np.load(path, allow_pickle=False) as f:  # what code without actionkit does
        assert f["names"].tolist() == ["x", "y"] and f["scores"].dtype == np.float32
        assert str(f["kind"]) == "logits" and f["classes"].tolist() == list(CLASSES)
    back = load_scores(path)
    np.testing.assert_array_equal(back.scores, s.scores)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz"):
        load_scores(tmp_path / "bad.npz")
