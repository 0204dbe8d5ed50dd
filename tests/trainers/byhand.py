"""Protocol results recomputed by hand from a run's checkpoint, for the trainers' evaluation tests.

A module of its own so that every method's tests check ``actionkit eval`` the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

from actionkit.models import FeatureAlignment
from actionkit.trainers.evaluation import load_encoder
from actionkit.trainers.method import finetuned_path


def features(run: Path, modality: str | None = None, per_frame: bool = False,
             random_init: bool = False) -> tuple[torch.Tensor, ...]:  # fmt: skip
    """``(train x, train y, test x, test y)``: the run's encoder (eval mode) on its own split, one sample at a time.

    ``per_frame``: the encoder's ``forward_frames`` features ``(N, T', D)`` instead of ``(N, D)``.
    ``random_init``: the protocols' untrained encoder of the run's config instead.
    """
    enc = load_encoder(run, modality=modality, random_init=random_init)
    data, recipe, encoder = enc.config.data, enc.recipe, enc.encoder.eval()
    forward = encoder.forward_frames if per_frame else encoder
    out = []
    for part in (data.train_part, data.test_part):
        dataset = recipe.dataset(Path(data.store), data.protocol, part, train=False)
        with torch.no_grad():
            x = torch.cat([forward(dataset[i][recipe.input_key][None]) for i in range(len(dataset))])
        out += [x, torch.tensor([int(dataset[i]["label"]) for i in range(len(dataset))])]
    return tuple(out)


def knn_top1(run: Path, modality: str | None = None) -> float:
    """Top-1 of the nearest training sample by cosine similarity."""
    tx, ty, vx, vy = features(run, modality)
    nearest = (F.normalize(vx, dim=1) @ F.normalize(tx, dim=1).T).argmax(1)
    return float((ty[nearest] == vy).float().mean())


def aligned_features(run: Path, random_init: bool = False, standardize: bool = False) -> tuple[torch.Tensor, ...]:
    """``(train theta, train phi, train y, test theta, test phi, test y)``: both ASMa encoders' per-frame features.

    ``standardize``: each encoder's features z-scored with its training features' per-channel mean and std.
    """
    t_theta, ty, v_theta, vy = features(run, "theta", per_frame=True, random_init=random_init)
    t_phi, ty_phi, v_phi, vy_phi = features(run, "phi", per_frame=True, random_init=random_init)
    assert torch.equal(ty, ty_phi) and torch.equal(vy, vy_phi)  # the same samples in the same order
    if standardize:
        # a channel constant over the training features (a dead ReLU) has std 0: it stays 0, as in the protocol
        (mt, st), (mp, sp) = ((t.mean((0, 1)), t.std((0, 1)).clamp_min(1e-8)) for t in (t_theta, t_phi))
        t_theta, v_theta, t_phi, v_phi = (t_theta - mt) / st, (v_theta - mt) / st, (t_phi - mp) / sp, (v_phi - mp) / sp
    return t_theta, t_phi, ty, v_theta, v_phi, vy


def saved_alignment(path: Path) -> FeatureAlignment:
    """The alignment module and classifier that ``linear --align`` saved at ``path``, in eval mode."""
    saved = torch.load(path, weights_only=True)
    module = FeatureAlignment(saved["dim"], saved["num_classes"], num_heads=saved["num_heads"])
    module.load_state_dict(saved["state_dict"])
    return module.eval()


def predictions(module: torch.nn.Module, *inputs: torch.Tensor) -> torch.Tensor:
    """``module``'s predicted class of each sample, fed one sample at a time: ``(N,)``."""
    with torch.no_grad():
        return torch.cat([module(*(x[i:i + 1] for x in inputs)).argmax(1) for i in range(len(inputs[0]))])


def finetune_summary(run: Path, modality: str | None = None) -> dict:
    """The summary the finetune protocol's own training run wrote."""
    return json.loads((finetuned_path(Path(run), modality) / "summary.json").read_text())
