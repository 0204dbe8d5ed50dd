"""Accuracy figures of per-sample scores: top-k, mean-class and per-class accuracy, confusion.

Mean-class accuracy is the mean over the classes present in the labels of each class's
recall (correct / samples of that class); on a balanced set it equals top-1, on an
unbalanced one it weighs every class alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from actionkit.results.scores import Scores


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Fraction of rows of ``scores (N, K)`` whose ``k`` highest include the label (ties: lowest index first)."""
    if len(labels) == 0:
        return 0.0
    k = min(k, scores.shape[1])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float((top == np.asarray(labels)[:, None]).any(axis=1).mean())


def confusion_matrix(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 counts: row = true class, column = predicted class."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return cm


def per_class_accuracy(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K,)`` float64 recall of each class; NaN for a class with no sample."""
    cm = confusion_matrix(predicted, labels, num_classes)
    support = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diag(cm) / np.maximum(support, 1), np.nan)


def mean_class_accuracy(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """Mean of :func:`per_class_accuracy` over the classes that have samples."""
    acc = per_class_accuracy(predicted, labels, num_classes)
    return float(np.nanmean(acc)) if np.isfinite(acc).any() else 0.0


def summarize(scores: Scores) -> dict[str, Any]:
    """``top1``, ``top5``, ``mean_class`` and ``per_class`` (``{class name: recall}``, classes with samples)."""
    predicted = scores.scores.argmax(axis=1)
    k = len(scores.classes)
    acc = per_class_accuracy(predicted, scores.labels, k)
    return {
        "top1": topk_accuracy(scores.scores, scores.labels, 1),
        "top5": topk_accuracy(scores.scores, scores.labels, 5),
        "mean_class": mean_class_accuracy(predicted, scores.labels, k),
        "per_class": {scores.classes[c]: float(acc[c]) for c in range(k) if np.isfinite(acc[c])},
    }


def class_table(scores: Scores) -> list[dict[str, Any]]:
    """One row per class with samples: ``class``, ``index``, ``samples``, ``accuracy``, and the class most
    often predicted instead (``confused_with``, ``confused_share`` of that class's samples), worst first."""
    predicted = scores.scores.argmax(axis=1)
    k = len(scores.classes)
    cm = confusion_matrix(predicted, scores.labels, k)
    rows = []
    for c in range(k):
        support = int(cm[c].sum())
        if not support:
            continue
        wrong = cm[c].copy()
        wrong[c] = 0
        other = int(wrong.argmax())
        rows.append({"class": scores.classes[c], "index": c, "samples": support,
                     "accuracy": float(cm[c, c] / support),
                     "confused_with": scores.classes[other] if wrong[other] else "",
                     "confused_share": float(wrong[other] / support)})  # fmt: skip
    rows.sort(key=lambda r: (r["accuracy"], -r["samples"], r["index"]))
    return rows
