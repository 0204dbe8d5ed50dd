"""DMCL: the trainer over a generated RGB-D store, strategies, multi-clip test protocol, exact resume, DDP."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ranks import run_two_ranks

from actionkit.results import load_scores
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import run_test_protocol
from actionkit.trainers.registry import resolve_config, train

CPU = Context(0, 1, 0, torch.device("cpu"))


def tiny(store, *extra, strategy=None):
    sets = ["model.width=0.125", "data.crop=24", "data.max_shift=2", "data.segments=4", "data.batch_size=4",
            "data.eval_batch_size=4", "data.workers=0", "data.test_clips=2", "run.epochs=2", "run.eval_every=1",
            "run.log_every=1", "optim.warmup_epochs=0"]
    cfg = resolve_config("dmcl", "motion-cpu", [*sets, *extra], str(store), variant=strategy)
    return cfg


def test_trains_and_tests_every_modality_sum_and_oracle(video_store, tmp_path):
    summary = train("dmcl", tiny(video_store), out=tmp_path / "run")
    assert summary["epochs"] == 2
    for key in ("acc_rgb", "acc_depth", "acc_flow", "acc_rgb+depth", "acc_rgb+flow", "acc_depth+flow", "acc_sum",
                "acc_oracle"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["acc_oracle"] >= max(summary["acc_rgb"], summary["acc_depth"], summary["acc_flow"])
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    import json

    epoch = [json.loads(line) for line in lines if "train_loss" in json.loads(line)][-1]
    wins = [epoch[f"train_win_{m}"] for m in ("rgb", "depth", "flow")]
    assert sum(wins) == pytest.approx(1.0)


def test_eval_test_with_missing_modalities(video_store, tmp_path):
    train("dmcl", tiny(video_store, "run.epochs=1"), out=tmp_path / "run")
    full, path = run_test_protocol(tmp_path / "run", CPU, workers=0)
    assert path.name == "test.json" and full["videos"] == 4 and full["modalities"] == ["rgb", "depth", "flow"]
    rgb, path = run_test_protocol(tmp_path / "run", CPU, ("rgb",), workers=0)
    assert path.name == "test-rgb.json"
    assert rgb["acc_rgb"] == full["acc_rgb"]  # the same clips, the same network
    assert rgb["acc_sum"] == rgb["acc_rgb"] and "acc_depth" not in rgb
    # per-sample scores beside the results: the mean of the networks' probabilities, whose argmax is Sigma's
    scores = load_scores(path.with_name("test-rgb.scores.npz"))
    assert scores.kind == "probabilities" and len(scores) == 4
    assert float((scores.scores.argmax(1) == scores.labels).mean()) == pytest.approx(rgb["acc_sum"])
    assert full["mean_class"] >= 0.0 and (tmp_path / "run" / "results" / "test.scores.npz").is_file()
    pair, _ = run_test_protocol(tmp_path / "run", CPU, ("rgb", "flow"), workers=0)
    assert pair["acc_sum"] == full["acc_rgb+flow"]
    with pytest.raises(ValueError, match="it has no rgbdiff network"):
        run_test_protocol(tmp_path / "run", CPU, ("rgbdiff",), workers=0)


@pytest.mark.parametrize("strategy", ["independent", "smcl", "cmcl", "random-teacher"])
def test_baseline_strategies_run(video_store, tmp_path, strategy):
    cfg = tiny(video_store, "run.epochs=1", "run.max_steps=1", strategy=strategy)
    assert cfg.loss.strategy == strategy
    assert train("dmcl", cfg, out=tmp_path / strategy)["interrupted"]


def test_two_modalities_and_bad_settings(video_store, tmp_path):
    cfg = tiny(video_store, "data.modalities=rgb,flow", "run.epochs=1")
    summary = train("dmcl", cfg, out=tmp_path / "two")
    assert "acc_depth" not in summary and "acc_flow" in summary
    with pytest.raises(ValueError, match="data.modalities must be distinct names among rgb, depth, flow"):
        train("dmcl", tiny(video_store, "data.modalities=rgb,ir"), out=tmp_path / "bad")
    with pytest.raises(FileNotFoundError, match="actionkit prepare nwucla-rgbd"):
        train("dmcl", tiny(tmp_path / "absent.zarr"), out=tmp_path / "none")
    with pytest.raises(KeyError, match="variants: dmcl, smcl, cmcl, random-teacher, independent"):
        tiny(video_store, strategy="mcl")


def test_resume_is_exact(video_store, tmp_path):
    train("dmcl", tiny(video_store, "run.eval_every=5"), out=tmp_path / "full")
    assert train("dmcl", tiny(video_store, "run.eval_every=5", "run.max_steps=1"), out=tmp_path / "part")["interrupted"]
    train("dmcl", None, resume=tmp_path / "part")
    a, b = (load_checkpoint(tmp_path / name)["model"] for name in ("full", "part"))
    for k in a:
        assert torch.equal(a[k], b[k]), k


DDP_SCRIPT = """
import sys, torch
from actionkit.trainers.registry import resolve_config, train
sets = ["model.width=0.125", "data.crop=24", "data.max_shift=2", "data.segments=4", "data.batch_size=4",
        "data.eval_batch_size=4", "data.workers=0", "data.test_clips=1", "run.epochs=1", "run.device=cpu"]
summary = train("dmcl", resolve_config("dmcl", "motion-cpu", sets, sys.argv[1]), out=sys.argv[2])
print("summary", summary)
"""


def test_two_process_cpu_ddp(video_store, tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    run_two_ranks(script, str(video_store), str(tmp_path / "ddp"))
    ckpt = load_checkpoint(tmp_path / "ddp")
    assert ckpt["state"]["epoch"] == 1 and ckpt["state"]["step"] == 2  # 8 training videos, batch 4 (2 per rank)
    assert Path(tmp_path / "ddp" / "summary.json").exists()
