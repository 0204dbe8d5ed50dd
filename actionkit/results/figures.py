"""Figures of runs for people: training curves and the confusion matrix (matplotlib, no display needed).

Figures are drawn with matplotlib's object API (``matplotlib.figure.Figure``, the Agg
canvas), so they work without a display and leave pyplot's global state alone.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.results.metrics import confusion_matrix
from actionkit.results.scores import Scores

#: Dots per inch of every written figure.
DPI = 100


def read_metrics(run: str | Path) -> list[dict[str, Any]]:
    """The records of ``RUN/metrics.jsonl`` (step records have ``lr``; epoch records ``epoch_seconds``).

    Raises:
        FileNotFoundError: the run has no metrics.jsonl.
    """
    path = Path(run) / "metrics.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{run}: no metrics.jsonl (not a run folder, or the run has not logged yet)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _series(records: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (x in epochs, y)}``: train loss / accuracy and test top-1 at epoch ends, lr at logged steps."""
    epochs = [r for r in records if "epoch_seconds" in r]
    steps = [r for r in records if "lr" in r and "epoch_seconds" not in r]
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for key, name in (("train_loss", "loss"), ("train_acc", "train"), ("test_top1", "test")):
        pts = [(r["epoch"] + 1, r[key]) for r in epochs if isinstance(r.get(key), (int, float))]
        if pts:
            out[name] = (np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float))
    if steps and epochs:
        per_epoch = epochs[0]["step"] / (epochs[0]["epoch"] + 1)
        out["lr"] = (np.array([r["step"] / per_epoch for r in steps]), np.array([r["lr"] for r in steps]))
    return out


def curves_figure(runs: dict[str, list[dict[str, Any]]], path: str | Path, size: tuple[float, float] = (12, 8)) -> Path:
    """Training loss, learning rate, and train and test accuracy per epoch, runs overlaid by name.

    Args:
        runs: ``{run name: metrics records}`` (:func:`read_metrics`).
        path: The PNG to write.
        size: Inches (at :data:`DPI`): the image is ``size * DPI`` pixels.

    Raises:
        ValueError: no run has an epoch record yet.
    """
    from matplotlib.figure import Figure

    series = {name: _series(records) for name, records in runs.items()}
    if not any(series.values()):
        raise ValueError(f"{', '.join(runs)}: no finished epoch in metrics.jsonl yet; nothing to plot")
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = fig.subplots(2, 2)
    panels = [("loss", "training loss", False), ("lr", "learning rate", False),
              ("train", "training accuracy (augmented batches)", True), ("test", "test top-1", True)]
    for ax, (key, title, percent) in zip(axes.flat, panels):
        for i, (name, s) in enumerate(series.items()):
            if key in s:
                x, y = s[key]
                ax.plot(x, 100 * y if percent else y, label=name, color=f"C{i}",
                        marker="o" if key == "test" else None, markersize=3)  # fmt: skip
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.set_ylabel("%" if percent else key)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, color="grey")
    fig.suptitle("training curves")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path


def _short(name: str, width: int) -> str:
    return textwrap.shorten(name, width=width, placeholder="...")


def confusion_figure(scores: Scores, path: str | Path, title: str = "") -> Path:
    """The row-normalised confusion matrix (row: true class, column: predicted), with class names.

    The figure grows with the class count (0.18 in per class, at least 8 in) and the
    labels shrink (down to 6 pt) so that 60 and 120 classes stay legible; long class names
    are shortened. Cells above 0.1 of a class's samples carry their value when there are
    at most 30 classes.
    """
    from matplotlib.figure import Figure

    k = len(scores.classes)
    cm = confusion_matrix(scores.scores.argmax(1), scores.labels, k).astype(float)
    support = cm.sum(1, keepdims=True)
    norm = np.divide(cm, support, out=np.zeros_like(cm), where=support > 0)
    side = max(8.0, 0.18 * k + 4.0)
    font = float(np.clip(220 / max(k, 1), 6, 10))
    fig = Figure(figsize=(side, side), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    labels = [f"{i} {_short(c, 32)}" for i, c in enumerate(scores.classes)]
    ax.set_xticks(range(k), labels, rotation=90, fontsize=font)
    ax.set_yticks(range(k), labels, fontsize=font)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 30:
        for i, j in zip(*np.nonzero(norm >= 0.1)):
            ax.text(j, i, f"{norm[i, j]:.2f}", ha="center", va="center", fontsize=font - 1,
                    color="white" if norm[i, j] > 0.6 else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, shrink=0.6, label="share of the true class's samples")
    diag = np.diag(norm)[support[:, 0] > 0]
    ax.set_title(f"{title + ': ' if title else ''}{len(scores)} samples, top-1 "
                 f"{100 * np.diag(cm).sum() / max(cm.sum(), 1):.1f}%, mean-class {100 * diag.mean():.1f}%")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path
