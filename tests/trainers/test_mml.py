"""MML: stages, initialisation across stages and modalities, test views, the three-stage pipeline, exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from videotiny import tiny_config

from actionkit.data import collate
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import run_test_protocol
from actionkit.trainers.mml import AppendixViews, build, make_test_set, parse_views
from actionkit.trainers.registry import train

CPU = Context(0, 1, 0, torch.device("cpu"))


def tiny(store, *extra, stage=None, modalities=None):
    return tiny_config("mml", store, *extra, variant=stage, modalities=modalities)


def test_stage_ce_then_ml_then_mml_with_adapted_first_conv(video_store, tmp_path):
    ce = train("mml", tiny(video_store, stage="ce"), out=tmp_path / "ce")
    assert set(ce) >= {"acc_0_rgb", "acc_sum", "acc_oracle"}
    ml = tiny(video_store, f"model.init={tmp_path / 'ce'}", stage="ml")
    assert ml.model.modalities == ("rgb", "rgb")
    train("mml", ml, out=tmp_path / "ml")
    mml = tiny(video_store, f"model.init={tmp_path / 'ml'}", stage="mml", modalities="rgb,flow,rgbdiff")
    summary = train("mml", mml, out=tmp_path / "mml", )
    assert {"acc_0_rgb", "acc_1_flow", "acc_2_rgbdiff", "acc_sum"} <= set(summary)
    # The flow and rgbdiff models started from the ml run's second model, their first conv
    # the mean of its RGB filters: check on a fresh build, before any training step.
    method, _, _ = build(mml)
    src = load_checkpoint(tmp_path / "ml")["model"]
    rgb_conv = src["members.1.backbone.conv1.weight"]
    flow_conv = method.members[1].backbone.conv1.weight
    assert flow_conv.shape[1] == 10
    for c in range(10):
        torch.testing.assert_close(flow_conv[:, c], rgb_conv.mean(dim=1))
    torch.testing.assert_close(method.members[0].backbone.conv1.weight, src["members.0.backbone.conv1.weight"])
    torch.testing.assert_close(method.members[2].head.weight, src["members.1.head.weight"])


def test_ml_logs_kl_and_two_sources(video_store, tmp_path):
    train("mml", tiny(video_store, "run.seed=1", stage="ce"), out=tmp_path / "a")
    train("mml", tiny(video_store, "run.seed=2", stage="ce"), out=tmp_path / "b")
    cfg = tiny(video_store, f"model.init={tmp_path / 'a'},{tmp_path / 'b'}", stage="ml")
    train("mml", cfg, out=tmp_path / "ml")
    import json

    logged = [json.loads(x) for x in (tmp_path / "ml" / "metrics.jsonl").read_text().splitlines()]
    assert logged[0]["kl_0_rgb"] > 0 and logged[0]["kl_1_rgb"] > 0  # two different starting models
    with pytest.raises(ValueError, match="one source, or one per model"):
        train("mml", tiny(video_store, "model.init=a,b,c", stage="ml"), out=tmp_path / "bad")


def test_pipeline_runs_every_stage(video_store, tmp_path):
    cfg = tiny(video_store, "pipeline=true", stage="mml")
    summary = train("mml", cfg, out=tmp_path / "p")
    assert summary["stages"] == ["ce0", "ce1", "ml", "mml"]  # one ML stage, as Fig. 1
    for name in summary["stages"]:
        assert (tmp_path / "p" / name / "summary.json").exists()
    assert load_checkpoint(tmp_path / "p" / "mml")["config"]["model"]["init"] == str(tmp_path / "p" / "ml")
    results, path = run_test_protocol(tmp_path / "p" / "mml", CPU, ("rgb",), workers=0)
    assert path.name == "test-rgb.json" and "acc_0_rgb" in results and "acc_1_flow" not in results


def test_pipeline_stops_at_an_interrupted_stage_and_continues(video_store, tmp_path):
    first = train("mml", tiny(video_store, "pipeline=true", "run.max_steps=1", stage="mml"), out=tmp_path / "p")
    assert first["interrupted"] and first["stopped_in"] == "ce0"
    assert not (tmp_path / "p" / "ce1").exists(), "no later stage may start from unfinished weights"
    again = train("mml", tiny(video_store, "pipeline=true", stage="mml"), out=tmp_path / "p")
    assert again["stages"] == ["ce0", "ce1", "ml", "mml"]
    assert again["ce0_summary"]["steps"] == load_checkpoint(tmp_path / "p" / "ce1")["state"]["step"]
    for name in again["stages"]:
        assert (tmp_path / "p" / name / "summary.json").exists()


@pytest.mark.parametrize(("stage", "modalities"), [("ce", None), ("ml", None), ("mml", "rgb,flow,rgbdiff")])
def test_loss_is_eq4_from_the_models_outputs(video_store, stage, modalities):
    """One batch: each model's CE plus kl_weight x KL(mean of the others' p || its p), by hand, per stage."""
    method, train_set, _ = build(tiny(video_store, "model.kl_weight=0.7", stage=stage, modalities=modalities))
    batch = collate([train_set[i] for i in range(4)])
    torch.manual_seed(3)  # dropout: the same draws in the same order below
    out = method(batch)
    torch.manual_seed(3)
    logits = [net(batch["inputs"][m]).float() for m, net in zip(method.member_modalities, method.members)]
    assert len(logits) == {"ce": 1, "ml": 2, "mml": 3}[stage]
    probs = [torch.softmax(x, dim=1) for x in logits]
    total = 0.0
    for i, (name, x) in enumerate(zip(method.names, logits)):
        ce = -torch.log_softmax(x, dim=1)[torch.arange(len(x)), batch["label"]].mean()
        kl = torch.zeros(())
        if len(logits) > 1:
            q = sum(p for j, p in enumerate(probs) if j != i).detach() / (len(probs) - 1)
            kl = (q * (q.log() - torch.log_softmax(x, dim=1))).sum(1).mean()
        torch.testing.assert_close(out[f"task_{name}"], ce.detach())
        torch.testing.assert_close(out[f"kl_{name}"], kl.detach())
        total = total + ce + 0.7 * kl
    torch.testing.assert_close(out["loss"], total)
    if stage != "ce":
        assert all(out[f"kl_{n}"] > 0 for n in method.names)  # the models disagree: the KL terms are exercised


def test_test_views_follow_appendix_1():
    assert parse_views("uniform2+dense1") == (2, 1)
    with pytest.raises(ValueError, match="uniform2\\+dense1"):
        parse_views("centre3")
    views = AppendixViews(4, 2, 1, tau=2)(20)
    np.testing.assert_array_equal(views[:2], [[0, 5, 10, 15], [2, 7, 12, 17]])  # floor((j + i/2) * 20/4)
    np.testing.assert_array_equal(views[2], [7, 9, 11, 13])  # T' = 20 - 2*3 = 14, start 7


def test_multilabel_trains_and_tests_end_to_end(video_store, tmp_path):
    """Appendix 2: BCE and the B x N-averaged KL on a store whose samples have two classes each; mAP at test."""
    import dataclasses

    from actionkit import open_store
    from actionkit.data.multilabel import label_words, multi_hot, word_fields
    from actionkit.prepare.video import VideoSettings, prepare_video
    from actionkit.sources.nwucla_video import NWUCLAVideoSource
    from actionkit.synthetic.videos import write_motion_videos

    class TwoLabels(NWUCLAVideoSource):
        """Each clip carries its class and the next one (a multi-label store, as Charades' would be)."""

        id_fields = (*NWUCLAVideoSource.id_fields, *word_fields(10))

        def scan(self):
            scan = super().scan()
            refs = [dataclasses.replace(r, ids={**r.ids, **label_words([r.label, (r.label + 1) % 10], 10)})
                    for r in scan.refs]
            return dataclasses.replace(scan, refs=refs)

    raw = write_motion_videos(tmp_path / "raw", clips_per_view=1, frames=10, height=48, width=64, seed=3)
    # rgb alone: the second model reads the RGB difference computed from it (no TV-L1 flow to prepare).
    prepare_video(TwoLabels([raw]), tmp_path / "m.zarr", streams=("rgb",), settings=VideoSettings(short_side=32),
                  workers=1)
    store = open_store(tmp_path / "m.zarr")
    first = int(store.samples["label"][0])
    assert multi_hot(store.samples, 0, 10).nonzero()[0].tolist() == sorted([first, (first + 1) % 10])
    with pytest.raises(KeyError, match="multi-label store"):
        train("mml", tiny(video_store, "model.multilabel=true", stage="ce"), out=tmp_path / "bad")
    cfg = tiny(tmp_path / "m.zarr", "model.multilabel=true", "run.epochs=2", stage="mml", modalities="rgb,rgbdiff")
    summary = train("mml", cfg, out=tmp_path / "run")
    assert summary["epochs"] == 2 and {"map_0_rgb", "map_1_rgbdiff", "map_sum"} <= set(summary)
    # By hand from the checkpoint, one video at a time: each model's sigmoid scores averaged over the test
    # views, the sum of the two, then per class the mean precision at each positive's rank.
    method, _, _ = build(cfg)
    method.load_state_dict(load_checkpoint(tmp_path / "run")["model"])
    test_set = make_test_set(cfg, cfg.model.modalities)
    scores, targets = {n: [] for n in method.names}, []
    with torch.no_grad():
        for i in range(len(test_set)):
            item = test_set[i]
            for name, mod, net in zip(method.names, method.member_modalities, method.eval().members):
                views = item["inputs"][mod] if item["inputs"][mod].dim() == 5 else item["inputs"][mod][None]
                scores[name].append(torch.sigmoid(net(views)).mean(0))
            targets.append(torch.as_tensor(item["label"]).float())
    scores = {n: torch.stack(s) for n, s in scores.items()}
    scores["sum"] = sum(scores.values())
    y = torch.stack(targets)
    assert (y.sum(1) == 2).all()  # two classes each

    def ap(column: torch.Tensor, positive: torch.Tensor) -> float:
        ranked = positive[column.argsort(descending=True)].tolist()
        hits = [k + 1 for k, p in enumerate(ranked) if p]  # 1-based ranks of the positives
        return sum((j + 1) / rank for j, rank in enumerate(hits)) / len(hits)

    for name in ("0_rgb", "1_rgbdiff", "sum"):
        aps = [ap(scores[name][:, c], y[:, c] > 0) for c in range(y.shape[1]) if y[:, c].any()]
        assert summary[f"map_{name}"] == pytest.approx(sum(aps) / len(aps), rel=1e-5), name


def test_mean_average_precision():
    from actionkit.trainers.mml import mean_average_precision

    targets = torch.tensor([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=torch.float32)
    perfect = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.8, 0.7], [0.1, 0.2]])
    assert mean_average_precision(perfect, targets) == pytest.approx(1.0)
    # class 0: positives ranked 1st and 3rd -> (1 + 2/3) / 2; class 1: ranked 1st and 2nd -> 1
    mixed = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.5, 0.2]])
    assert mean_average_precision(mixed, targets) == pytest.approx(((1 + 2 / 3) / 2 + 1) / 2)
