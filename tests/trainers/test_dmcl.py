"""DMCL: the trainer over a generated RGB-D store, strategies, multi-clip test protocol, exact resume, DDP."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from learning import one_thread
from ranks import run_two_ranks
from videotiny import tiny_config

from actionkit.data import collate
from actionkit.losses.mcl import mcl_loss
from actionkit.results import load_scores
from actionkit.trainers import dmcl, engine
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import run_test_protocol
from actionkit.trainers.registry import resolve_config, train
from actionkit.trainers.sampler import ResumableSampler

CPU = Context(0, 1, 0, torch.device("cpu"))


def tiny(store, *extra, strategy=None):
    return tiny_config("dmcl", store, *extra, variant=strategy)


def test_trains_and_tests_every_modality_sum_and_oracle(video_store, tmp_path):
    summary = train("dmcl", tiny(video_store), out=tmp_path / "run")
    assert summary["epochs"] == 2
    # The trainer's last evaluation is the multi-clip test protocol run on the checkpoint.
    tested, _ = run_test_protocol(tmp_path / "run", CPU, workers=0)
    for key in ("acc_rgb", "acc_depth", "acc_flow", "acc_rgb+depth", "acc_rgb+flow", "acc_depth+flow", "acc_sum",
                "acc_oracle"):
        assert summary[key] == tested[key], key
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


@pytest.mark.parametrize("strategy", ["dmcl", "independent", "smcl", "cmcl", "random-teacher"])
def test_loss_is_mcl_loss_of_the_networks_outputs(video_store, strategy):
    """One batch: the trainer's loss and logs equal mcl_loss (checked against a slow loop) on each network's logits."""
    cfg = tiny(video_store, "loss.temperature=5", "loss.lam=1", "loss.beta=0.6", strategy=strategy)
    method, train_set, _ = dmcl.build(cfg)
    batch = collate([train_set[i] for i in range(4)])
    torch.manual_seed(2)  # random-teacher draws its teachers from the global generator
    out = method(batch)
    torch.manual_seed(2)
    logits = [method.logits(m, batch["inputs"][m]) for m in method.modalities]
    ref = mcl_loss(logits, batch["label"], strategy, temperature=5.0, lam=1.0, beta=0.6)
    torch.testing.assert_close(out["loss"], ref.loss)
    for i, m in enumerate(method.modalities):
        torch.testing.assert_close(out[f"ce_{m}"], ref.ce[i].mean())
        if strategy != "independent":
            torch.testing.assert_close(out[f"win_{m}"], (ref.winners == i).float().mean())
    other = mcl_loss(logits, batch["label"], strategy, temperature=2.0, lam=0.5, beta=0.75)
    if strategy in ("dmcl", "cmcl", "random-teacher"):  # the ones T, lambda or beta enter
        assert not torch.allclose(out["loss"], other.loss)  # the config's values are the ones used


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


DDP_SETS = ["model.width=0.125", "model.dropout=0", "data.crop=24", "data.max_shift=2", "data.segments=4",
            "data.batch_size=4", "data.eval_batch_size=4", "data.workers=0", "data.test_clips=1", "run.epochs=1",
            "run.device=cpu"]  # fmt: skip
DDP_SCRIPT = """
import sys, torch
from actionkit.trainers.registry import resolve_config, train
sets = sys.argv[3].split()
summary = train("dmcl", resolve_config("dmcl", "motion-cpu", sets, sys.argv[1]), out=sys.argv[2])
print("summary", summary)
"""


class RankBatches(ResumableSampler):
    """One process's order holding, step by step, rank 0's micro-batch of 2 and then rank 1's."""

    def epoch_indices(self) -> np.ndarray:
        ranks = []
        for rank in (0, 1):
            sampler = ResumableSampler(self.n, self.shuffle, self.seed, rank, 2, self.repeat)
            sampler.set_epoch(self.epoch)
            ranks.append(sampler.epoch_indices())
        steps = len(ranks[0]) // 2
        return np.concatenate([np.concatenate([r[2 * s:2 * s + 2] for r in ranks]) for s in range(steps)])


def test_two_process_cpu_ddp_matches_one_process(video_store, tmp_path, monkeypatch):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    run_two_ranks(script, str(video_store), str(tmp_path / "ddp"), " ".join(DDP_SETS))
    ddp = load_checkpoint(tmp_path / "ddp")
    assert ddp["state"]["epoch"] == 1 and ddp["state"]["step"] == 2  # 8 training videos, batch 4 (2 per rank)
    assert (tmp_path / "ddp" / "summary.json").exists()
    # One process, two micro-batches of 2 per step (gradients averaged, as DDP averages the
    # ranks'), each the one a rank saw: batch norm sees the same samples, so the weights match.
    # One intra-op thread, as each rank has: with 2-sample batch norm, another thread count's
    # rounding grows to 1e-2 in two steps.
    monkeypatch.setattr(engine, "ResumableSampler", RankBatches)
    with one_thread():
        train("dmcl", resolve_config("dmcl", "motion-cpu", [*DDP_SETS, "run.grad_accum=2"], str(video_store)),
              out=tmp_path / "one")  # fmt: skip
    one = load_checkpoint(tmp_path / "one")
    assert one["state"]["step"] == 2
    fresh = dmcl.build(resolve_config("dmcl", "motion-cpu", DDP_SETS, str(video_store)))[0]
    params = [name for name, _ in fresh.named_parameters()]  # running statistics are rank 0's alone under DDP
    for name in params:
        torch.testing.assert_close(ddp["model"][name], one["model"][name], rtol=1e-4, atol=1e-5)
    assert any(not torch.equal(ddp["model"][n], fresh.state_dict()[n]) for n in params), "the runs did not train"
