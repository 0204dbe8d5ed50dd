"""Multi-view video testing: clip-averaged predictions, per-modality, ensemble and oracle accuracies.

Video methods test every video on several views (temporal clips x spatial crops) and
average the views' class probabilities (DMCL: 10 clips; CMPL: 10 clips x 3 crops; MML:
its uniform and dense views). With several modality networks, a prediction of a set of
modalities is the sum of their averaged probabilities (DMCL's Sigma), and the oracle
(Phi) counts a video as right when any one network is. ``actionkit eval test RUN`` runs a
run's test protocol (:func:`actionkit.trainers.evaluation.run_test_protocol`), optionally
on a subset of its modalities (missing modalities at test time).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from actionkit.results.scores import Scores, scores_of_dataset

__all__ = ["average_views", "ensemble_accuracies", "collect_probabilities", "video_scores"]


def average_views(logits_fn: Callable[[torch.Tensor], torch.Tensor], views: torch.Tensor,
                  chunk: int = 16) -> torch.Tensor:
    """Class probabilities of each video, averaged over its views.

    Args:
        logits_fn: ``(N, C, K, H, W) -> (N, classes)``.
        views: ``(B, V, C, K, H, W)`` (or ``(B, C, K, H, W)``: one view).
        chunk: Views per forward pass (bounds the memory of a test batch).

    Returns:
        ``(B, classes)`` float32.
    """
    if views.dim() == 5:
        views = views.unsqueeze(1)
    b, v = views.shape[:2]
    flat = views.reshape(b * v, *views.shape[2:])
    probs = torch.cat([torch.softmax(logits_fn(part).float(), dim=-1) for part in flat.split(chunk)])
    return probs.view(b, v, -1).mean(dim=1)


@torch.no_grad()
def collect_probabilities(logits_fns: dict[str, Callable[[torch.Tensor], torch.Tensor]],
                          loader: Iterable[dict[str, Any]], device: torch.device,
                          chunk: int = 16, sources: dict[str, str] | None = None,
                          ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """View-averaged probabilities of every network whose input is present in the batches.

    Args:
        logits_fns: ``{name: fn}`` (a name per network).
        loader: Batches of ``{"inputs": {modality: views}, "label": ...}``.
        device: Where the networks are.
        chunk: Views per forward pass.
        sources: ``{name: modality}`` when names are not modalities (several networks
            of one modality, as MML's two RGB models).

    Returns:
        ``({name: (N, classes)}, labels (N,))`` on the CPU, in loader order.
    """
    probs: dict[str, list[torch.Tensor]] = {}
    labels = []
    for batch in loader:
        for name, fn in logits_fns.items():
            mod = sources[name] if sources else name
            if mod in batch["inputs"]:
                x = batch["inputs"][mod].to(device, non_blocking=True)
                probs.setdefault(name, []).append(average_views(fn, x, chunk).cpu())
        labels.append(batch["label"])
    return {m: torch.cat(p) for m, p in probs.items()}, torch.cat(labels)


def ensemble_accuracies(probs: dict[str, torch.Tensor], labels: torch.Tensor) -> dict[str, float]:
    """Accuracy of each modality, of the sum over every subset of two or more, and the oracle.

    Args:
        probs: ``{modality: (N, classes)}`` view-averaged probabilities.
        labels: ``(N,)``.

    Returns:
        ``acc_<m>`` per modality, ``acc_<m1>+<m2>...`` per proper subset of two or more
        (sum of probabilities), ``acc_sum`` (all modalities: Sigma) and ``acc_oracle`` (any
        network right: Phi); fractions in [0, 1].
    """
    mods = list(probs)
    out: dict[str, float] = {}
    correct = {m: probs[m].argmax(dim=1) == labels for m in mods}
    for m in mods:
        out[f"acc_{m}"] = correct[m].float().mean().item()
    for size in range(2, len(mods)):
        for subset in itertools.combinations(mods, size):
            total = sum(probs[m] for m in subset)
            out["acc_" + "+".join(subset)] = (total.argmax(dim=1) == labels).float().mean().item()
    out["acc_sum"] = (sum(probs.values()).argmax(dim=1) == labels).float().mean().item()
    out["acc_oracle"] = torch.stack(list(correct.values())).any(dim=0).float().mean().item()
    return out


def video_scores(loader: Any, probs: dict[str, torch.Tensor], labels: torch.Tensor) -> Scores | None:
    """Per-sample scores of a video test: the mean of the networks' view-averaged probabilities.

    The loader must read its dataset in order (no shuffling; the test loaders do), so that
    row ``i`` is the dataset's ``i``-th video. None without a dataset or probabilities.
    """
    dataset = getattr(loader, "dataset", None)
    if dataset is None or not probs or not hasattr(dataset, "indices"):
        return None
    mean = (sum(probs.values()) / len(probs)).numpy()
    return scores_of_dataset(dataset, np.asarray(dataset.indices)[: len(mean)], labels.numpy(), mean, "probabilities")
