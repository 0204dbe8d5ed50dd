"""Protocol results recomputed by hand from a run's checkpoint, for the evaluation tests.

A module of its own so that every method's tests (and the command line's) check ``actionkit eval`` the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from actionkit import open_store
from actionkit.models import FeatureAlignment
from actionkit.results import Scores, load_scores
from actionkit.trainers import asma
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import from_dict
from actionkit.trainers.evaluation import load_encoder
from actionkit.trainers.method import finetuned_path


def features(run: Path, modality: str | None = None, per_frame: bool = False,
             encoder: torch.nn.Module | None = None) -> tuple[torch.Tensor, ...]:  # fmt: skip
    """``(train x, train y, test x, test y)``: the run's encoder (eval mode) on its own split, one sample at a time.

    ``per_frame``: the encoder's ``forward_frames`` features ``(N, T', D)`` instead of ``(N, D)``.
    ``encoder``: this one instead of the run's (fed as the run's recipe says).
    """
    enc = load_encoder(run, modality=modality)
    data, recipe, encoder = enc.config.data, enc.recipe, (encoder or enc.encoder).eval()
    forward = encoder.forward_frames if per_frame else encoder
    out = []
    for part in (data.train_part, data.test_part):
        dataset = recipe.dataset(Path(data.store), data.protocol, part, train=False)
        with torch.no_grad():
            x = torch.cat([forward(dataset[i][recipe.input_key][None]) for i in range(len(dataset))])
        out += [x, torch.tensor([int(dataset[i]["label"]) for i in range(len(dataset))])]
    return tuple(out)


def training_views(run: Path, modality: str | None = None) -> Callable[[int], torch.Tensor]:
    """``epoch -> (N, D)``: the run's encoder (eval mode) on that epoch's training views of its training part.

    The views are the recipe's training transform, redrawn every epoch (``set_epoch``), one sample at a time.
    """
    enc = load_encoder(run, modality=modality)
    data, recipe, encoder = enc.config.data, enc.recipe, enc.encoder.eval()
    dataset = recipe.dataset(Path(data.store), data.protocol, data.train_part, train=True)

    def views(epoch: int) -> torch.Tensor:
        dataset.set_epoch(epoch)
        with torch.no_grad():
            return torch.cat([encoder(dataset[i][recipe.input_key][None]) for i in range(len(dataset))])

    return views


def knn_top1(run: Path, modality: str | None = None) -> float:
    """Top-1 of the nearest training sample by cosine similarity."""
    tx, ty, vx, vy = features(run, modality)
    nearest = (F.normalize(vx, dim=1) @ F.normalize(tx, dim=1).T).argmax(1)
    return float((ty[nearest] == vy).float().mean())


def aligned_features(run: Path, random_init: bool = False, standardize: bool = False,
                     finetuned: bool = False) -> tuple[torch.Tensor, ...]:  # fmt: skip
    """``(train theta, train phi, train y, test theta, test phi, test y)``: both ASMa encoders' per-frame features.

    ``random_init``: the encoders as the run started, the ASMa method built from its config (its seed).
    ``standardize``: each encoder's features z-scored with its training features' per-channel mean and std.
    ``finetuned``: the encoders as ``eval finetune RUN`` and ``eval finetune RUN --modality phi`` left them
    (their checkpoints' ``backbone.*``).
    """
    pair = {}
    if random_init:
        pair = dict(asma.build(from_dict(asma.ASMaConfig, load_checkpoint(run)["config"]))[0].encoders)
    if finetuned:
        pair = {"theta": finetuned_encoder(run, finetuned_path(run), "theta"),
                "phi": finetuned_encoder(run, finetuned_path(run, "phi"), "phi")}
    t_theta, ty, v_theta, vy = features(run, "theta", per_frame=True, encoder=pair.get("theta"))
    t_phi, ty_phi, v_phi, vy_phi = features(run, "phi", per_frame=True, encoder=pair.get("phi"))
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


def finetuned_encoder(run: Path, folder: Path, modality: str | None = None) -> torch.nn.Module:
    """The run's encoder (``modality``) with the ``backbone.*`` weights of the finetuning in ``folder``.

    Built for the store that finetuning trained on (the target store of ``transfer``).
    """
    recipe, ckpt = load_encoder(run, modality=modality).recipe, load_checkpoint(folder)
    state = ckpt["model"]
    tuned = {recipe.state_prefix + k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
    return recipe.build_encoder(open_store(ckpt["config"]["data"]["store"]), tuned, str(folder))


def finetuned(run: Path, folder: Path | None = None, modality: str | None = None) -> tuple[float, Scores]:
    """Top-1 and test logits of the encoder + head a finetuning protocol left in ``folder``, one sample at a time.

    The weights are the finetuning's last checkpoint (the ``Supervised`` method's ``backbone.*``
    and ``head.fc.*``); the samples are the test part of the store and split its config
    recorded (the target store of ``transfer``), fed with the run's test transform.

    Args:
        run: The pre-training run (its recipe: backbone, stream, normalisation, transform).
        folder: The finetuning's folder (default: ``eval finetune``'s, ``RUN/eval/finetune[-M]``).
        modality: Which of the run's encoders was fine-tuned.

    Returns:
        The top-1 and ``Scores`` (logits ``(N_test, classes)``, labels and names in test-part order).
    """
    folder = Path(folder or finetuned_path(Path(run), modality))
    ckpt = load_checkpoint(folder)
    data, recipe = ckpt["config"]["data"], load_encoder(run, modality=modality).recipe
    store, state = open_store(data["store"]), ckpt["model"]
    encoder = finetuned_encoder(run, folder, modality).eval()
    dataset = recipe.dataset(Path(data["store"]), data["protocol"], data["test_part"], train=False)
    with torch.no_grad():
        logits = torch.cat([F.linear(encoder(dataset[i][recipe.input_key][None]), state["head.fc.weight"],
                                     state["head.fc.bias"]) for i in range(len(dataset))])  # fmt: skip
    labels = torch.tensor([int(dataset[i]["label"]) for i in range(len(dataset))])
    names = np.asarray(store.samples["name"])[np.asarray(dataset.sample_ids)]
    top1 = float((logits.argmax(1) == labels).float().mean())
    return top1, Scores(names, labels.numpy(), logits.numpy(), tuple(store.classes))


def assert_same_scores(path: Path, expected: Scores, atol: float = 1e-5) -> None:
    """The scores file at ``path`` holds ``expected``'s samples, labels and scores (batched vs one by one: ``atol``)."""
    saved = load_scores(path)
    assert saved.names.tolist() == expected.names.tolist() and saved.labels.tolist() == expected.labels.tolist()
    np.testing.assert_allclose(saved.scores, expected.scores, rtol=1e-5, atol=atol)
