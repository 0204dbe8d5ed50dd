"""Protocol results recomputed by hand from a run's checkpoint, for the trainers' evaluation tests.

A module of its own so that every method's tests check ``actionkit eval`` the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from actionkit.trainers.evaluation import load_encoder
from actionkit.trainers.method import finetuned_path


def features(run: Path, modality: str | None = None) -> tuple[torch.Tensor, ...]:
    """``(train x, train y, test x, test y)``: the run's encoder (eval mode) on its own split, one sample at a time."""
    enc = load_encoder(run, modality=modality)
    data, recipe = enc.config.data, enc.recipe
    out = []
    for part in (data.train_part, data.test_part):
        dataset = recipe.dataset(Path(data.store), data.protocol, part, train=False)
        with torch.no_grad():
            x = torch.cat([enc.encoder.eval()(dataset[i][recipe.input_key][None]) for i in range(len(dataset))])
        out += [x, torch.tensor([int(dataset[i]["label"]) for i in range(len(dataset))])]
    return tuple(out)


def knn_top1(run: Path, modality: str | None = None) -> float:
    """Top-1 of the nearest training sample by cosine similarity."""
    tx, ty, vx, vy = features(run, modality)
    nearest = (F.normalize(vx, dim=1) @ F.normalize(tx, dim=1).T).argmax(1)
    return float((ty[nearest] == vy).float().mean())


def finetune_summary(run: Path, modality: str | None = None) -> dict:
    """The summary the finetune protocol's own training run wrote."""
    return json.loads((finetuned_path(Path(run), modality) / "summary.json").read_text())
