"""``actionkit train``: a tiny run through the real command line, and its error line."""

from __future__ import annotations

import json

from clirun import TINY_TRAIN
from typer.testing import CliRunner

from actionkit.cli.main import app
from actionkit.trainers.checkpoint import load_checkpoint

runner = CliRunner()


def test_train_supervised_writes_the_run_and_prints_its_summary(cli_run, cli_store):
    run, result = cli_run
    assert result.exit_code == 0, result.output
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["epochs"], summary["steps"]) == (1, 2)  # 8 training samples, batch 4
    printed = json.loads(result.stdout[result.stdout.index("{"):])
    assert printed == {**summary, "run": str(run)}
    config = json.loads((run / "config.json").read_text())
    # --store and every --set reached the run's config; the rest is the demo preset.
    assert config["data"]["store"] == str(cli_store)
    assert (config["data"]["frames"], config["data"]["batch_size"], config["run"]["epochs"]) == (8, 4, 1)
    assert config["model"]["backbone"] == "stgcn16"
    assert load_checkpoint(run)["state"] == {"epoch": 1, "step": 2, "position": 0}


def test_train_errors_are_one_line(cli_store, tmp_path):
    result = runner.invoke(app, ["train", "supervised", "--store", str(cli_store), "--preset", "demo", *TINY_TRAIN,
                                 "--set", "data.protocol=xset", "--out", str(tmp_path / "r")])  # fmt: skip
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "no split" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["train", "supervised", "--store", str(tmp_path / "absent.zarr"), *TINY_TRAIN])
    assert result.exit_code == 1 and result.output.startswith("error: ") and "Traceback" not in result.output
    result = runner.invoke(app, ["train", "supervised", "--preset", "nope"])
    assert result.exit_code == 1 and "presets: " in result.output
