"""``actionkit eval PROTOCOL RUN``: one subcommand per protocol, its own options, --store."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from clirun import tiny_store
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import evaluate_features, load_encoder

runner = CliRunner()
CPU = Context(0, 1, 0, torch.device("cpu"))


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


# ----------------------------------------------------------------------------- results against the protocols
@pytest.mark.parametrize("protocol", ["knn", "linear"])
def test_eval_feature_protocols_on_a_cli_run(cli_run, protocol):
    run, trained = cli_run
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["eval", protocol, str(run), *(["--epochs", "2"] if protocol == "linear" else [])])
    assert result.exit_code == 0, result.output
    written = json.loads((run / "results" / f"{protocol}.json").read_text())
    assert f"written to {run / 'results' / f'{protocol}.json'}" in " ".join(result.output.split())
    row = next(line for line in result.output.splitlines() if " top1 " in line)
    assert row.split()[-2] == f"{written['top1']:.4f}"  # the table's row: | top1 | value |
    # The same numbers as the protocol run directly on the run's encoder.
    direct = evaluate_features(load_encoder(run), protocol, CPU.device, epochs=2)
    assert written["top1"] == pytest.approx(direct["top1"]) and written["train"] == written["test"] == 8


def test_eval_transfer_finetunes_on_the_target_store(cli_run, tmp_path):
    run, _ = cli_run
    target = tiny_store(tmp_path / "target.zarr", [8, 9], seed=2)  # other classes, other samples
    result = runner.invoke(app, ["eval", "transfer", str(run), "--target", str(target), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    results = json.loads((run / "results" / "transfer.json").read_text())
    store = open_store(target)
    assert results["target"] == str(target) and results["epochs"] == 1
    assert (results["train"], results["test"]) == (len(store.split("xsub", "train")), len(store.split("xsub", "test")))
    summary = json.loads((run / "eval" / "transfer" / "summary.json").read_text())
    assert summary["top1"] == results["top1"] and summary["epochs"] == 1
    config = json.loads((run / "eval" / "transfer" / "config.json").read_text())
    assert config["data"]["store"] == str(target)


def test_eval_errors_are_one_line(cli_run, tmp_path):
    run, _ = cli_run
    result = runner.invoke(app, ["eval", "knn", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "no checkpoint" in result.output and "Traceback" not in result.output
    for args in (["eval", "transfer", str(run)], ["eval", "zero-shot", str(run)]):  # usage errors: status 2
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "Traceback" not in result.output, args


def test_an_interrupted_finetuning_writes_no_result_and_the_same_command_continues_it(cli_run, tmp_path, monkeypatch):
    import os
    import signal

    from actionkit.trainers import evaluation

    run, _ = cli_run
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    for copy in (whole, cut):
        shutil.copytree(run, copy, ignore=shutil.ignore_patterns("results", "eval"))
    args = ["--epochs", "2"]
    assert runner.invoke(app, ["eval", "finetune", str(whole), *args]).exit_code == 0

    forward, calls = evaluation.Supervised.forward, []

    def stopped_at_the_third_step(self, batch):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # the scheduler stops the job
        return forward(self, batch)

    monkeypatch.setattr(evaluation.Supervised, "forward", stopped_at_the_third_step)
    result = runner.invoke(app, ["eval", "finetune", str(cut), *args])
    assert result.exit_code == 128 + signal.SIGTERM, result.output  # before: 0, and a result written
    assert "error: " in result.output and "stopped by SIGTERM" in result.output and "same command" in result.output
    assert not (cut / "results" / "finetune.json").exists()
    monkeypatch.setattr(evaluation.Supervised, "forward", forward)

    result = runner.invoke(app, ["eval", "finetune", str(cut), *args])  # continues from its checkpoint
    assert result.exit_code == 0, result.output

    def logged(run):
        lines = (run / "eval" / "finetune" / "metrics.jsonl").read_text().splitlines()
        return [{k: v for k, v in json.loads(x).items() if k not in ("epoch_seconds", "samples_per_s")} for x in lines]

    assert logged(cut) == logged(whole)
    results = [json.loads((r / "results" / "finetune.json").read_text()) for r in (cut, whole)]
    assert [r.pop("encoder") for r in results] == [str(cut), str(whole)] and results[0] == results[1]
    # A finished finetuning run again starts over (before: "already holds a run; continue it with --resume").
    again = runner.invoke(app, ["eval", "finetune", str(whole), *args])
    assert again.exit_code == 0, again.output
    assert logged(whole) == logged(cut)
