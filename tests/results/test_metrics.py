"""Mean-class and per-class accuracy on an unbalanced toy set."""

import numpy as np

from actionkit.results import Scores, summarize
from actionkit.results.metrics import class_table, confusion_matrix, topk_accuracy


def test_mean_class_accuracy_weighs_every_class_alike():
    # 8 samples of class 0 (all right), 2 of class 1 (one right): top-1 0.9, mean-class 0.75.
    labels = np.array([0] * 8 + [1] * 2)
    predicted = np.array([0] * 8 + [1, 0])
    scores = np.eye(3, dtype=np.float32)[predicted]
    s = Scores(np.array([f"s{i}" for i in range(10)]), labels, scores, ("a", "b", "c"))
    out = summarize(s)
    assert out["top1"] == 0.9
    assert out["mean_class"] == 0.75
    assert out["per_class"] == {"a": 1.0, "b": 0.5}  # class c has no sample: left out
    rows = class_table(s)
    assert rows[0]["class"] == "b" and rows[0]["confused_with"] == "a" and rows[0]["confused_share"] == 0.5


def test_topk_and_confusion():
    scores = np.array([[0.1, 0.5, 0.4], [0.9, 0.04, 0.06]])
    labels = np.array([2, 1])
    assert topk_accuracy(scores, labels, 1) == 0.0
    assert topk_accuracy(scores, labels, 2) == 0.5
    assert topk_accuracy(scores, labels, 5) == 1.0
    cm = confusion_matrix(np.array([1, 0]), labels, 3)
    assert cm[2, 1] == 1 and cm[1, 0] == 1 and cm.sum() == 2
