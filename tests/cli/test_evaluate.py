"""``actionkit eval PROTOCOL RUN``: one subcommand per protocol, its own options, --store."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from actionkit.cli.main import app
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset

runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-eval")
    generate_ntu_dataset(tmp / "raw", samples_per_class=4, seed=1, classes=[10, 23, 27, 55])
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1, streams=("joint",))
    result = runner.invoke(app, ["train", "supervised", "--preset", "demo", "--store", str(tmp / "s.zarr"),
                                 "--split", "xsub", "--set", "run.epochs=1", "--set", "data.frames=8",
                                 "--set", "data.batch_size=4", "--out", str(tmp / "run")])
    assert result.exit_code == 0, result.output
    return tmp / "run"


def test_each_protocol_has_only_its_own_options():
    def options(protocol):
        return runner.invoke(app, ["eval", protocol, "--help"], env={"COLUMNS": "100"}).output

    knn, linear, semi, test = options("knn"), options("linear"), options("semi"), options("test")
    assert "--k " in knn and "--epochs" not in knn and "--align" not in knn
    assert "--align" in linear and "--standardize" in linear and "--fraction" not in linear
    assert "--fraction" in semi and "--repeats" in semi and "--k " not in semi
    assert "--modalities" in test and "--batch-size" in test and "--random-init" not in test
    for text in (knn, linear, semi, test):
        assert "--store" in text
    assert "--target" in options("transfer") and "--align" in options("finetune")


def test_eval_from_another_folder_and_with_store_override(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["eval", "knn", str(run)])
    assert result.exit_code == 0, result.output
    first = json.loads((run / "results" / "knn.json").read_text())

    moved = tmp_path / "moved.zarr"
    shutil.move(str(run.parent / "s.zarr"), moved)
    try:
        result = runner.invoke(app, ["eval", "knn", str(run)])
        assert result.exit_code == 1 and "no such store" in result.output
        result = runner.invoke(app, ["eval", "knn", str(run), "--store", str(moved)])
        assert result.exit_code == 0, result.output
    finally:
        shutil.move(str(moved), run.parent / "s.zarr")
    again = json.loads((run / "results" / "knn.json").read_text())
    assert again["top1"] == first["top1"]


def test_test_protocol_on_a_supervised_run_tests_its_classifier(run):
    result = runner.invoke(app, ["eval", "test", str(run)])
    assert result.exit_code == 0, result.output
    assert (run / "results" / "test.json").is_file() and (run / "results" / "test.scores.npz").is_file()
    result = runner.invoke(app, ["eval", "test", str(run), "--modalities", "rgb"])
    assert result.exit_code == 1 and "no video modalities" in result.output
