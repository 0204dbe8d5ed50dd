"""``actionkit eval``: the feature protocols and transfer on a run trained through the command line."""

from __future__ import annotations

import json

import pytest
import torch
from clirun import tiny_store
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import evaluate_features, load_encoder

runner = CliRunner()
CPU = Context(0, 1, 0, torch.device("cpu"))


@pytest.mark.parametrize("protocol", ["knn", "linear"])
def test_eval_feature_protocols_on_a_cli_run(cli_run, protocol):
    run, trained = cli_run
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(app, ["eval", protocol, str(run), "--epochs", "2"])
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
    for args, says in ((["eval", "knn", str(tmp_path / "nothing")], "no checkpoint"),
                       (["eval", "transfer", str(run)], "--target"),
                       (["eval", "zero-shot", str(run)], "protocols: linear")):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 1, args
        assert result.output.startswith("error: ") and says in result.output and "Traceback" not in result.output
