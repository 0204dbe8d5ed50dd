"""The video trainers and ``eval test`` on a Kinetics-400 store of real clips kept as files (the default)."""

from __future__ import annotations

import json

import pytest
import torch
from rawvideo import kinetics_download
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import run_test_protocol
from actionkit.trainers.registry import resolve_config, train

CPU = Context(0, 1, 0, torch.device("cpu"))


@pytest.fixture(scope="module")
def k400(tmp_path_factory):
    """2 classes x (4 train + 1 val) real clips, prepared with the kinetics400 defaults (streams: video)."""
    tmp = tmp_path_factory.mktemp("k400-files")
    raw = kinetics_download(tmp / "raw", train_per_class=4, val_per_class=1)
    result = CliRunner().invoke(app, ["prepare", "kinetics400", "--raw", str(raw), "--annotations",
                                      str(raw / "annotations"), "--out", str(tmp / "k.zarr"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert open_store(tmp / "k.zarr").stream_names == ("video",)
    return tmp / "k.zarr"


def test_cmpl_trains_two_epochs_and_tests(k400, tmp_path):
    sets = ["model.primary=resnet3d10", "model.primary_width=0.125", "model.aux=resnet3d10", "model.aux_width=0.0625",
            "data.crop=32", "data.test_size=32", "data.labeled_per_class=1", "data.mu=2", "data.batch_size=2",
            "data.workers=0", "data.test_clips=2", "run.epochs=2", "run.eval_every=2"]
    cfg = resolve_config("cmpl", "kinetics400-1pct", sets, str(k400))
    summary = train("cmpl", cfg, out=tmp_path / "cmpl")
    assert summary["epochs"] == 2 and summary["steps"] == 2 and 0.0 <= summary["acc_primary"] <= 1.0
    log = [json.loads(x) for x in (tmp_path / "cmpl" / "metrics.jsonl").read_text().splitlines()]
    assert all(torch.isfinite(torch.tensor(r["train_loss"])) for r in log if "train_loss" in r)
    results, _ = run_test_protocol(tmp_path / "cmpl", CPU, workers=0)
    assert results["acc_primary"] == summary["acc_primary"]


def test_mml_with_an_rgb_difference_from_the_files_trains_two_epochs_and_tests(k400, tmp_path):
    sets = ["model.width=0.0625", "data.crop=32", "data.batch_size=4", "data.eval_batch_size=2", "data.workers=0",
            "data.segments=2", "run.epochs=2", "run.eval_every=2", "data.test_views=uniform1+dense1"]
    cfg = resolve_config("mml", "kinetics400", sets, str(k400), variant="mml", modalities="rgb,rgbdiff")
    summary = train("mml", cfg, out=tmp_path / "mml")
    assert summary["epochs"] == 2 and summary["steps"] == 4
    assert {"acc_0_rgb", "acc_1_rgbdiff", "acc_sum"} <= set(summary)
    results, _ = run_test_protocol(tmp_path / "mml", CPU, ("rgbdiff",), workers=0)
    assert "acc_1_rgbdiff" in results and "acc_0_rgb" not in results
