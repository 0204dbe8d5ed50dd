"""Figures are written with the expected size and carry drawn content."""

import json

import numpy as np
import pytest
from PIL import Image

from actionkit.results import Scores
from actionkit.results.figures import DPI, confusion_figure, curves_figure, read_metrics


def _drawn(path) -> np.ndarray:
    image = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    return image


def _run(tmp_path, name, accs):
    run = tmp_path / name
    run.mkdir()
    lines = []
    for e, acc in enumerate(accs):
        lines.append({"epoch": e, "step": 10 * e + 5, "lr": 0.1 / (e + 1), "loss": 2.0 - acc})
        lines.append({"epoch": e, "step": 10 * (e + 1), "epoch_seconds": 1.0, "train_loss": 2.0 - acc,
                      "train_acc": acc, **({"test_top1": acc - 0.1} if e % 2 else {})})
    (run / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    return run


def test_curves_png_has_the_size_and_the_curves(tmp_path):
    runs = {n: read_metrics(_run(tmp_path, n, a)) for n, a in (("joint", [0.2, 0.5, 0.7, 0.8]),
                                                                ("bone", [0.3, 0.4, 0.6, 0.9]))}
    path = curves_figure(runs, tmp_path / "out" / "curves.png", size=(12, 8))
    image = _drawn(path)
    assert image.shape[:2] == (8 * DPI, 12 * DPI)
    # the two runs' default colours (C0 blue, C1 orange) are drawn
    blue = (np.abs(image - [31, 119, 180]).sum(-1) < 30).sum()
    orange = (np.abs(image - [255, 127, 14]).sum(-1) < 30).sum()
    assert blue > 200 and orange > 200


def test_curves_refuse_runs_without_epochs(tmp_path):
    run = tmp_path / "empty"
    run.mkdir()
    (run / "metrics.jsonl").write_text("")
    with pytest.raises(ValueError, match="no finished epoch"):
        curves_figure({"empty": read_metrics(run)}, tmp_path / "c.png")


@pytest.mark.parametrize("k", [10, 60, 120])
def test_confusion_png_grows_with_classes_and_is_not_blank(tmp_path, k):
    rng = np.random.default_rng(k)
    labels = np.repeat(np.arange(k), 3)
    scores = rng.normal(size=(len(labels), k)).astype(np.float32)
    scores[np.arange(len(labels)), labels] += 2.0  # mostly right: a visible diagonal
    s = Scores(np.array([f"s{i}" for i in range(len(labels))]), labels, scores,
               tuple(f"class number {c} with a rather long descriptive name" for c in range(k)))
    path = confusion_figure(s, tmp_path / "confusion.png", title="toy")
    image = _drawn(path)
    side = round(max(8.0, 0.18 * k + 4.0) * DPI)
    assert image.shape[:2] == (side, side)
    dark = (image.sum(-1) < 300).mean()  # dark blue cells and text
    assert 0.002 < dark < 0.5
