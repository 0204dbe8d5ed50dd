"""CMPL: the semi-supervised trainer on a generated store, schemes, the labelled subset file, exact resume."""

from __future__ import annotations

import json

import pytest
import torch

from actionkit import open_store
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.cmpl import split_labelled
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import run_test_protocol
from actionkit.trainers.registry import resolve_config, train

CPU = Context(0, 1, 0, torch.device("cpu"))


def tiny(store, *extra, scheme=None):
    sets = ["model.primary_width=0.125", "model.aux_width=0.0625", "data.crop=24", "data.test_size=24",
            "data.primary_frames=4", "data.primary_stride=2", "data.aux_frames=8", "data.aux_stride=1",
            "data.labeled_per_class=1", "data.mu=2", "data.batch_size=2", "data.eval_batch_size=4", "data.workers=0",
            "data.test_clips=2", "run.epochs=1", "run.log_every=1", "optim.warmup_epochs=0", "loss.tau=0.2"]
    return resolve_config("cmpl", "motion-cpu", [*sets, *extra], str(store), variant=scheme)


def test_labelled_subset_is_balanced_written_and_the_rest_unlabelled(video_store, tmp_path):
    cfg = tiny(video_store)
    labelled, unlabelled = split_labelled(cfg)
    store = open_store(video_store)
    train_part = store.split("xview", "train")
    assert sorted([*labelled, *unlabelled]) == sorted(train_part.tolist())
    assert sorted(store.samples["label"][labelled].tolist()) == [0, 1, 2, 3]
    other = tiny(video_store, "data.subset_seed=1")
    assert set(split_labelled(other)[0]) != set(labelled) or len(train_part) == 4
    summary = train("cmpl", cfg, out=tmp_path / "run")
    assert 0.0 <= summary["acc_primary"] <= 1.0
    written = json.loads((tmp_path / "run" / "labelled.json").read_text())
    assert written["indices"] == [int(i) for i in labelled]
    log = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    epoch = [r for r in log if "train_loss" in r][-1]
    for key in ("pl_ratio_primary", "pl_correct_primary", "pl_ratio_aux", "pl_correct_aux", "unsup_aux"):
        assert key in {k[6:] for k in epoch if k.startswith("train_")}
    assert epoch["train_pl_correct_primary"] <= epoch["train_pl_ratio_primary"]
    results, _ = run_test_protocol(tmp_path / "run", CPU, workers=0)
    assert results["acc_primary"] == summary["acc_primary"]


@pytest.mark.parametrize("scheme", ["fixmatch", "supervised", "self-first", "opposite-first", "maximum", "average"])
def test_every_scheme_trains(video_store, tmp_path, scheme):
    cfg = tiny(video_store, "run.max_steps=1", scheme=scheme)
    assert train("cmpl", cfg, out=tmp_path / scheme)["interrupted"]
    state = load_checkpoint(tmp_path / scheme)["model"]
    has_aux = any(k.startswith("aux.") for k in state)
    assert has_aux == (scheme not in ("fixmatch", "supervised"))


def test_lambda_follows_the_labelled_fraction(video_store):
    from actionkit.trainers.cmpl import build

    assert build(tiny(video_store, "data.labeled=0.01"))[0].lam == 5.0
    assert build(tiny(video_store, "data.labeled=0.1"))[0].lam == 2.0
    assert build(tiny(video_store, "loss.lam=3"))[0].lam == 3.0
    with pytest.raises(KeyError, match="variants: cross, fixmatch"):
        tiny(video_store, scheme="meanteacher")


def test_resume_is_exact(video_store, tmp_path):
    extra = ("run.epochs=2", "run.eval_every=5")
    train("cmpl", tiny(video_store, *extra), out=tmp_path / "full")
    assert train("cmpl", tiny(video_store, *extra, "run.max_steps=1"), out=tmp_path / "part")["interrupted"]
    train("cmpl", None, resume=tmp_path / "part")
    a, b = (load_checkpoint(tmp_path / n)["model"] for n in ("full", "part"))
    for k in a:
        assert torch.equal(a[k], b[k]), k
