"""Supervised training and the evaluation protocols on a tiny generated store."""

from __future__ import annotations

import json

import byhand
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from actionkit.results import load_scores
from actionkit.trainers import supervised
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.distributed import Context
from actionkit.trainers.evaluation import (
    EvalOptions,
    balanced_subset,
    knn_accuracy,
    run_protocol,
    run_test_protocol,
)
from actionkit.trainers.probe import linear_probe, linear_probe_logits
from actionkit.trainers.registry import resolve_config, train
from actionkit.trainers.supervised import build

CPU = Context(0, 1, 0, torch.device("cpu"))


def tiny(store, *extra):
    return resolve_config("supervised", "demo", ["run.epochs=2", "data.frames=16", "data.batch_size=4",
                                                 "run.eval_every=1", *extra], str(store))


@pytest.fixture(scope="module")
def run_dir(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    summary = train("supervised", tiny(store), out=out)
    assert summary["epochs"] == 2
    # The summary's top-1 is the checkpoint's accuracy on the test part, recomputed here.
    method, _, test_set = build(tiny(store))
    method.load_state_dict(load_checkpoint(out)["model"])
    assert summary["top1"] == pytest.approx(accuracy(method.eval(), test_set))
    return out


def accuracy(method, dataset) -> float:
    """Top-1 of a supervised method's logits over a dataset, one sample at a time."""
    with torch.no_grad():
        hits = [int(method.logits(dataset[i]["x"][None]).argmax(1)) == int(dataset[i]["label"])
                for i in range(len(dataset))]  # fmt: skip
    return sum(hits) / len(hits)


def recall_by_class(predicted, labels, classes) -> dict[str, float]:
    """``{class name: fraction of its samples predicted as it}`` for the classes that have samples."""
    return {classes[c]: float(np.mean([p == c for p, y in zip(predicted, labels) if y == c]))
            for c in sorted(set(labels.tolist()))}  # fmt: skip


def features(backbone, dataset) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        x = torch.cat([backbone(dataset[i]["x"][None]) for i in range(len(dataset))])
    return x, torch.tensor([int(dataset[i]["label"]) for i in range(len(dataset))])


def test_supervised_run_writes_its_folder(run_dir):
    for name in ("config.json", "metrics.jsonl", "summary.json", "checkpoints/last.pt"):
        assert (run_dir / name).exists(), name
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["model"]["backbone"] == "stgcn5" and cfg["data"]["frames"] == 16
    assert cfg["run"]["preset"] == "demo"


def test_end_of_training_test_writes_scores_and_eval_test_repeats_it(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    with np.load(run_dir / "scores.npz", allow_pickle=False) as f:
        names, labels, scores, classes = f["names"], f["labels"], f["scores"], f["classes"].tolist()
        assert scores.dtype == np.float32 and scores.shape == (len(names), len(classes))
    assert len(set(names.tolist())) == len(names) and all(n.startswith("S") for n in names)  # NTU sample names
    top1 = float((scores.argmax(1) == labels).mean())
    assert summary["top1"] == pytest.approx(top1)
    per_class = recall_by_class(scores.argmax(1), labels, classes)
    assert summary["per_class"] == pytest.approx(per_class)
    assert summary["mean_class"] == pytest.approx(np.mean(list(per_class.values())))
    # eval test: the run's own classifier on its test part, in the same sample order
    results, path = run_test_protocol(run_dir, CPU)
    assert path == run_dir / "results" / "test.json" and results["top1"] == pytest.approx(top1)
    again = load_scores(run_dir / "results" / "test.scores.npz")
    assert again.names.tolist() == names.tolist()
    np.testing.assert_allclose(again.scores, scores, atol=1e-4)


def test_existing_run_folder_is_not_overwritten(store, run_dir):
    with pytest.raises(ValueError, match="--resume"):
        train("supervised", tiny(store), out=run_dir)


def test_split_and_backbone_shorthands(store):
    cfg = resolve_config("supervised", "demo", ["data.frames=8"], str(store), split="xview", backbone="gru")
    assert (cfg.data.store, cfg.data.protocol, cfg.model.backbone, cfg.data.frames) == (str(store), "xview", "gru", 8)
    # --set comes last, so it wins over a shorthand
    assert resolve_config("supervised", "demo", ["data.protocol=xsub"], None, split="xview").data.protocol == "xsub"


def test_config_errors_say_what_to_do(store):
    with pytest.raises(KeyError, match="presets: "):
        resolve_config("supervised", "ntu61-xsub", [], None)
    with pytest.raises(KeyError, match="methods: supervised"):
        resolve_config("moco", None, [], None)
    with pytest.raises(ValueError, match="no split"):
        train("supervised", tiny(store, "data.protocol=xset"), out=store.parent / "bad")
    with pytest.raises(KeyError, match="valid backbones"):
        train("supervised", tiny(store, "model.backbone=resnet"), out=store.parent / "bad2")


def test_knn_and_linear_on_separable_features():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(3, 16, generator=g) * 5
    y = torch.arange(90) % 3
    x = centres[y] + torch.randn(90, 16, generator=g)
    assert knn_accuracy(x[:60], y[:60], x[60:], y[60:]) == 1.0
    res = linear_probe(x[:60], y[:60], x[60:], y[60:], num_classes=3, epochs=20, milestones=(15,))
    assert res["top1"] == 1.0
    # Nearest neighbour by cosine, not Euclidean distance: scale does not matter.
    assert knn_accuracy(x[:60] * 100, y[:60], x[60:], y[60:]) == 1.0


def test_balanced_subset_is_seeded_and_balanced():
    labels = np.repeat(np.arange(5), 20)
    a, b = balanced_subset(labels, 0.1, seed=0), balanced_subset(labels, 0.1, seed=0)
    assert np.array_equal(a, b) and np.bincount(labels[a]).tolist() == [2] * 5
    assert not np.array_equal(a, balanced_subset(labels, 0.1, seed=1))
    assert np.bincount(labels[balanced_subset(labels, 0.001, seed=0)]).tolist() == [1] * 5


@pytest.mark.parametrize("protocol", ["knn", "linear"])
def test_feature_protocols_end_to_end(run_dir, protocol):
    results, path = run_protocol(protocol, run_dir, CPU, EvalOptions(epochs=3))
    assert path == run_dir / "results" / f"{protocol}.json"
    # Recomputed from the run's backbone on its own split (eval mode, test-time transform).
    cfg = load_checkpoint(run_dir)["config"]
    method, _, _ = build(tiny(cfg["data"]["store"]))
    method.load_state_dict(load_checkpoint(run_dir)["model"])
    backbone = method.backbone.eval()
    recipe = supervised.encoder_recipe(cfg)
    tx, ty = features(backbone, recipe.dataset(cfg["data"]["store"], "xsub", "train", train=False))
    vx, vy = features(backbone, recipe.dataset(cfg["data"]["store"], "xsub", "test", train=False))
    if protocol == "knn":
        nearest = (F.normalize(vx, dim=1) @ F.normalize(tx, dim=1).T).argmax(1)
        assert results["top1"] == pytest.approx(float((ty[nearest] == vy).float().mean()))
    else:
        probe, logits = linear_probe_logits(tx, ty, vx, vy, num_classes=60, epochs=3, milestones=(50, 70))
        assert results["top1"] == pytest.approx(probe["top1"], abs=1e-6)
        saved = load_scores(run_dir / "results" / "linear.scores.npz").scores
        torch.testing.assert_close(torch.from_numpy(saved), logits, rtol=1e-3, atol=1e-3)  # the same classifier
    scores = load_scores(run_dir / "results" / f"{protocol}.scores.npz")
    assert scores.kind == ("similarities" if protocol == "knn" else "logits")
    assert float((scores.scores.argmax(1) == scores.labels).mean()) == pytest.approx(results["top1"])
    per_class = recall_by_class(scores.scores.argmax(1), scores.labels, scores.classes)
    assert json.loads(path.read_text())["per_class"] == pytest.approx(per_class)
    assert results["mean_class"] == pytest.approx(np.mean(list(per_class.values())))
    random, rpath = run_protocol(protocol, run_dir, CPU, EvalOptions(epochs=3, random_init=True))
    assert rpath.name == f"{protocol}-random-init.json" and random["encoder"] == "random initialisation"
    if protocol == "linear":
        std, spath = run_protocol(protocol, run_dir, CPU, EvalOptions(epochs=3, standardize=True))
        assert spath.name == "linear-standardized.json" and std["standardize"] is True


def test_finetune_and_semi_end_to_end(run_dir):
    # each top1 and scores file: the finetuning's checkpoint (backbone + head) on the test part, run by hand
    results, _ = run_protocol("finetune", run_dir, CPU, EvalOptions(epochs=1))
    top1, scores = byhand.finetuned(run_dir)
    assert results["top1"] == top1 and (results["epochs"], results["train"], results["test"]) == (1, 8, 8)
    byhand.assert_same_scores(run_dir / "results" / "finetune.scores.npz", scores)
    results, _ = run_protocol("semi", run_dir, CPU, EvalOptions(epochs=1, fraction=0.5, repeats=2))
    assert len(results["top1"]) == 2 and len(results["mean_class"]) == 2
    assert results["top1_mean"] == pytest.approx(np.mean(results["top1"]))
    assert results["top1_std"] == pytest.approx(np.std(results["top1"]))
    for r in range(2):
        top1, scores = byhand.finetuned(run_dir, run_dir / "eval" / f"semi-0.5-{r}")
        assert results["top1"][r] == top1
        byhand.assert_same_scores(run_dir / "results" / f"semi-r{r}.scores.npz", scores)
    with pytest.raises(ValueError, match="--target"):
        run_protocol("transfer", run_dir, CPU, EvalOptions(epochs=1))
    with pytest.raises(KeyError, match="protocols: linear"):
        run_protocol("zero-shot", run_dir, CPU, EvalOptions())
