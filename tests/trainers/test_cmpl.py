"""CMPL: the semi-supervised trainer on a generated store, schemes, the labelled subset file, exact resume."""

from __future__ import annotations

import json

import pytest
import torch
from videotiny import tiny_config

from actionkit import open_store
from actionkit.data import collate
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.cmpl import build, split_labelled
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import run_test_protocol
from actionkit.trainers.registry import train

CPU = Context(0, 1, 0, torch.device("cpu"))


def tiny(store, *extra, scheme=None):
    return tiny_config("cmpl", store, *extra, variant=scheme)


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


def table_a1(scheme: str, p_f: torch.Tensor, p_a: torch.Tensor | None, tau: float) -> tuple[torch.Tensor, ...]:
    """Appendix Table A1 for one unlabelled sample: the pseudo-label sources (l_F, l_A) from weak-view probabilities.

    ``fixmatch`` (``p_a`` None without an auxiliary network): each network on its own predictions.
    """
    if scheme == "fixmatch":
        return p_f, p_a
    conf_f, conf_a = bool(p_f.max() >= tau), bool(p_a.max() >= tau)
    if scheme == "cross":
        return p_a, p_f
    if scheme == "self-first":
        return (p_f if conf_f else p_a), (p_a if conf_a else p_f)
    if scheme == "opposite-first":
        return (p_a if conf_a else p_f), (p_f if conf_f else p_a)
    if scheme == "maximum":
        both = p_f if p_f.max() >= p_a.max() else p_a
        return both, both
    return (p_f + p_a) / 2, (p_f + p_a) / 2  # average


@pytest.mark.parametrize("scheme", ["cross", "fixmatch", "self-first", "opposite-first", "maximum", "average"])
def test_loss_is_eq4_5_with_table_a1_from_the_networks_outputs(video_store, scheme):
    """One batch: sup + lambda * unsup per network, pseudo-labels by Table A1, recomputed sample by sample.

    ``fixmatch``: the primary alone, on its own pseudo-labels.
    """
    cfg = tiny(video_store, "loss.lam=3", scheme=scheme)
    method, train_set, _ = build(cfg)
    nets = {"primary": method.primary} | ({"aux": method.aux} if scheme != "fixmatch" else {})
    assert (method.aux is None) == (scheme == "fixmatch")
    batch = collate([train_set[i] for i in range(2)])
    lab, u = batch["labelled"], batch["unlabelled"]
    torch.manual_seed(1)  # dropout: the same draws in the same order in every pass
    logits = {}
    for k, net in nets.items():
        parts = [lab[k], u[f"weak_{k}"].flatten(0, 1), u[f"strong_{k}"].flatten(0, 1)]
        logits[k] = net(torch.cat(parts)).split([len(p) for p in parts])  # one pass: shared BN statistics
    p_f, p_a = (torch.softmax(logits[k][1].detach(), dim=1) if k in logits else None for k in ("primary", "aux"))
    # A threshold between the networks' confidences, so that some pseudo-labels pass and some do not.
    tau = float(torch.cat([p for p in (p_f, p_a) if p is not None]).max(dim=1).values.median())
    method.tau = tau
    torch.manual_seed(1)
    out = method(batch)
    sources = [table_a1(scheme, p_f[i], None if p_a is None else p_a[i], tau) for i in range(len(p_f))]
    total, masked = 0.0, 0
    for j, k in enumerate(nets):
        sup = torch.nn.functional.cross_entropy(logits[k][0], batch["label"])
        unsup = 0.0
        for i, src in enumerate(sources):
            if src[j].max() >= tau:
                masked += 1
                unsup = unsup + torch.nn.functional.cross_entropy(logits[k][2][i], src[j].argmax()) / len(sources)
        torch.testing.assert_close(out[f"sup_{k}"], sup.detach())
        torch.testing.assert_close(out[f"unsup_{k}"], torch.as_tensor(unsup).detach().float())
        total = total + sup + 3.0 * unsup
    torch.testing.assert_close(out["loss"], total)
    assert masked > 0  # pseudo-labels pass the threshold: the unsupervised terms are exercised
    assert {k[len("sup_"):] for k in out if k.startswith("sup_")} == set(nets)


def test_supervised_scheme_is_the_labelled_cross_entropy_alone(video_store):
    """``supervised``: the primary on the labelled clips; no auxiliary, no unlabelled views, lambda unused."""
    method, train_set, _ = build(tiny(video_store, "loss.lam=3", scheme="supervised"))
    assert method.aux is None
    batch = collate([train_set[i] for i in range(2)])
    assert "unlabelled" not in batch
    torch.manual_seed(1)  # dropout: the same draws in both passes
    sup = torch.nn.functional.cross_entropy(method.primary(batch["labelled"]["primary"]), batch["label"])
    torch.manual_seed(1)
    out = method(batch)
    assert set(out) == {"loss", "sup_primary"}
    torch.testing.assert_close(out["loss"], sup)
    torch.testing.assert_close(out["sup_primary"], sup.detach())


def test_lambda_follows_the_labelled_fraction(video_store):
    assert build(tiny(video_store, "data.labeled=0.01"))[0].lam == 5.0
    assert build(tiny(video_store, "data.labeled=0.1"))[0].lam == 2.0
    assert build(tiny(video_store, "loss.lam=3"))[0].lam == 3.0
    with pytest.raises(KeyError, match="variants: cross, fixmatch"):
        tiny(video_store, scheme="meanteacher")
