"""eval fuse, report and show on a skeleton store, through the command line."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from actionkit.cli.main import app
from actionkit.prepare import prepare
from actionkit.results import Scores, load_scores, save_scores
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset

runner = CliRunner()
CLASSES = ("wave", "clap", "kick")


def _run(folder, scores: Scores, accs=(0.3, 0.6)):
    folder.mkdir(parents=True)
    save_scores(scores, folder / "scores.npz")
    lines = [{"epoch": e, "step": 4 * (e + 1), "epoch_seconds": 1.0, "train_loss": 1.5 - a, "train_acc": a,
              "test_top1": a} for e, a in enumerate(accs)]
    lines.insert(0, {"epoch": 0, "step": 2, "lr": 0.1, "loss": 1.4})
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    return folder


def _scores(rows, names=("a", "b", "c", "d"), labels=(0, 1, 2, 0)):
    return Scores(np.array(names), np.array(labels), np.array(rows, np.float32), CLASSES)


def test_fuse_recipe_prints_each_input_and_the_fused(tmp_path):
    # joint is right on a, b; bone on c, d; fused right on all four (each is confident where it is right)
    joint = _scores([[5, 0, 0], [0, 5, 0], [0, 1, 0], [0, 1, 0]])
    bone = _scores([[0, 0, 1], [0, 0, 1], [0, 0, 5], [5, 0, 0]])
    j = _run(tmp_path / "joint", joint)
    b = tmp_path / "bone.scores.npz"
    order = [3, 1, 0, 2]  # another order: matched by name
    save_scores(Scores(bone.names[order], bone.labels[order], bone.scores[order], CLASSES), b)
    result = runner.invoke(app, ["eval", "fuse", "--recipe", "2s", str(j), str(b), "--out", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    assert "0.5000" in result.output and "1.0000" in result.output
    fused = load_scores(tmp_path / "f" / "fused.scores.npz")
    assert fused.names.tolist() == ["a", "b", "c", "d"] and (fused.scores.argmax(1) == fused.labels).all()
    saved = json.loads((tmp_path / "f" / "fused.json").read_text())
    assert [r["top1"] for r in saved["inputs"]] == [0.5, 0.5, 1.0]


def test_fuse_refuses_differing_sample_sets(tmp_path):
    a = _run(tmp_path / "a", _scores(np.eye(3)[[0, 1, 2, 0]]))
    b = tmp_path / "b.scores.npz"
    save_scores(_scores(np.eye(3)[[0, 1, 2]], names=("a", "b", "x"), labels=(0, 1, 2)), b)
    result = runner.invoke(app, ["eval", "fuse", str(a), str(b)])
    assert result.exit_code == 1
    assert "error:" in result.output and "sample 'c' of" in result.output and "is missing from" in result.output
    result = runner.invoke(app, ["eval", "fuse", "--recipe", "4s", str(a), str(b)])
    assert result.exit_code == 1 and "recipe 4s fuses 4 inputs" in result.output


def test_report_writes_curves_confusion_and_the_class_table(tmp_path):
    r1 = _run(tmp_path / "r1", _scores([[5, 0, 0], [0, 5, 0], [5, 0, 0], [0, 0, 5]]))
    r2 = _run(tmp_path / "r2", _scores(np.eye(3)[[0, 1, 2, 0]]), accs=(0.5, 0.9))
    result = runner.invoke(app, ["report", str(r1), str(r2), "--out", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    for name in ("curves.png", "confusion.png", "confusion-r2.png", "classes.md"):
        assert (tmp_path / "rep" / name).is_file(), name
    assert Image.open(tmp_path / "rep" / "curves.png").size == (1200, 800)
    table = (tmp_path / "rep" / "classes.md").read_text()
    # r1: kick is predicted as wave on its one sample
    assert "| 2 kick | 1 | 0.0% | wave | 100.0% |" in table


def test_show_draws_a_skeleton_sample(tmp_path):
    generate_ntu_dataset(tmp_path / "raw", samples_per_class=1, seed=2, classes=[10, 55])
    store = tmp_path / "s.zarr"
    prepare(NTUSource([tmp_path / "raw"], "ntu60"), store, workers=1, streams=("joint",))
    result = runner.invoke(app, ["show", str(store), "--sample", "1", "--sheet", "--columns", "4",
                                 "--out", str(tmp_path / "sheet.png")])
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "sheet.png").size == (640, 400)
    result = runner.invoke(app, ["show", str(store), "--format", "webm"])
    assert result.exit_code == 1 and "--format webm: choose one of gif, mp4" in result.output
