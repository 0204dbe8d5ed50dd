"""Custom and imported stores train: a 2D COCO-keypoint store (x, y, score) with supervised and ASMa."""

from __future__ import annotations

import pytest
import torch
from skeleton_stores import make_store

from actionkit.data import collate
from actionkit.trainers.asma import build as build_asma
from actionkit.trainers.asma import make_train_set
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.registry import resolve_config, train
from actionkit.trainers.supervised import build as build_supervised


@pytest.fixture(scope="module")
def coco_store(tmp_path_factory):
    path, _ = make_store(tmp_path_factory.mktemp("coco"), layout="coco17", bodies=2, two_d=True, n=12)
    return path


def test_supervised_on_a_2d_custom_store(coco_store, tmp_path):
    cfg = resolve_config("supervised", "demo", ["run.epochs=1", "data.frames=8", "data.batch_size=4",
                                                "run.eval_every=1", "data.protocol=default"], str(coco_store))
    summary = train("supervised", cfg, out=tmp_path / "run")
    assert summary["epochs"] == 1
    # top1: the checkpoint's classifier on the test part, one sample at a time ((x, y, score) channels)
    method, _, test_set = build_supervised(cfg)
    method.load_state_dict(load_checkpoint(tmp_path / "run")["model"])
    with torch.no_grad():
        hits = [int(method.eval().logits(test_set[i]["x"][None]).argmax(1)) == int(test_set[i]["label"])
                for i in range(len(test_set))]  # fmt: skip
    assert test_set[0]["x"].shape[0] == 3 and summary["top1"] == pytest.approx(sum(hits) / len(hits))


def test_asma_step_on_a_2d_custom_store(coco_store):
    cfg = resolve_config("asma", "nwucla-xview-cpu", [
        "model.channels=8,8,16", "model.strides=1,2,1", "model.proj_hidden=32", "model.proj_dim=32",
        "masking.joints=3", "masking.frames=2", "data.protocol=default", "data.frames=12", "data.batch_size=4",
        "data.workers=0"], str(coco_store))
    method, train_set, _ = build_asma(cfg)
    assert train_set.layout.name == "coco17"
    batch = collate([make_train_set(cfg)[i] for i in range(4)])
    out = method(batch)
    assert torch.isfinite(out["loss"])
    out["loss"].backward()
