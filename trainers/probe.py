"""Classifiers trained on frozen features: the linear probe and ASMa's feature-alignment probe.

- :func:`linear_probe`: a linear classifier on ``(N, D)`` features (the ``linear``
  protocol; I2MD: 80 epochs, SGD lr 0.1, x0.1 at 50 and 70; ASMa: Adam lr 1e-3, 150 epochs).
- :func:`train_alignment`: ASMa's ``linear --align`` (section 4, "Downstream
  Evaluation"; Table 3): with both pre-trained encoders f_theta and f_phi frozen, only
  the feature-alignment module (bi-directional 4-head attention between the two
  encoders' per-frame features, summed, pooled over time, eq. 10-11) and its linear
  classifier (eq. 12) are trained, on the cached ``(N, T', D)`` features.

Both share :func:`fit_classifier`, the mini-batch loop. The functions are pure: the
caller extracts the features (:mod:`actionkit.trainers.evaluation`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from actionkit.models import FeatureAlignment
from actionkit.trainers.method import LinearProtocol

__all__ = ["alignment_path", "fit_classifier", "classifier_accuracy", "classifier_logits", "linear_probe",
           "linear_probe_logits", "standardize_pair", "train_alignment"]


def alignment_path(run: Path, random_init: bool = False, combined: bool = False) -> Path:
    """Where ``linear --align`` (``finetune --align``: ``combined``) saves the trained alignment module.

    ASMa-Distill's linear-probed (fine-tuned) teacher reads it.
    """
    folder = Path(run) / "eval" / ("finetune-align" if combined else "align")
    return folder / ("aligned-random-init.pt" if random_init else "aligned.pt")


def fit_classifier(module: nn.Module, inputs: tuple[torch.Tensor, ...] | Callable[[int], tuple[torch.Tensor, ...]],
                   labels: torch.Tensor, protocol: LinearProtocol, epochs: int, batch_size: int = 256, seed: int = 0,
                   device: torch.device | None = None) -> nn.Module:  # fmt: skip
    """Cross-entropy training of ``module(*inputs)`` with the protocol's optimiser and x0.1 steps.

    Args:
        module: Maps mini-batches of each of ``inputs`` (first axis N) to ``(B, classes)`` logits.
        inputs: The frozen features, each with N rows; or ``epoch -> features``, the
            features of that epoch's training views (a view redrawn every epoch).
        labels: ``(N,)`` class indices.
        protocol: Optimiser, rate, milestones and weight decay.
        epochs: Passes over the N samples.
        batch_size: Mini-batch size.
        seed: Seeds the batch order.
        device: Where the module trains (default CPU).
        standardize: z-score each encoder's per-frame features with its training
            features' per-channel mean and std first (as ``linear_probe`` does): off in
            the paper's protocol; needed for a fair untrained baseline.

    Returns:
        The trained module, in eval mode.
    """
    device = device or torch.device("cpu")
    module.to(device)
    opt = protocol.make_optimizer(module.parameters())
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(protocol.milestones), gamma=0.1)
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        module.train()
        features = inputs(epoch) if callable(inputs) else inputs
        order = torch.randperm(len(labels), generator=g)
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            loss = F.cross_entropy(module(*(x[idx].to(device) for x in features)), labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
    return module.eval()


@torch.no_grad()
def classifier_accuracy(module: nn.Module, inputs: tuple[torch.Tensor, ...], labels: torch.Tensor,
                        batch_size: int = 256, device: torch.device | None = None) -> float:  # fmt: skip
    """Top-1 of ``module(*inputs)`` against ``labels``, in mini-batches."""
    device = device or torch.device("cpu")
    module.eval()
    correct = 0
    for lo in range(0, len(labels), batch_size):
        logits = module(*(x[lo:lo + batch_size].to(device) for x in inputs))
        correct += int((logits.argmax(1).cpu() == labels[lo:lo + batch_size]).sum())
    return correct / max(1, len(labels))


@torch.no_grad()
def classifier_logits(module: nn.Module, inputs: tuple[torch.Tensor, ...], batch_size: int = 256,
                      device: torch.device | None = None) -> torch.Tensor:  # fmt: skip
    """``module(*inputs)`` in mini-batches: ``(N, classes)`` float32 on the CPU (per-sample scores)."""
    device = device or torch.device("cpu")
    module.eval()
    n = len(inputs[0])
    parts = [module(*(x[lo:lo + batch_size].to(device) for x in inputs)).float().cpu()
             for lo in range(0, n, batch_size)]  # fmt: skip
    return torch.cat(parts) if parts else torch.zeros(0, 0)


def linear_probe(*args, **kwargs) -> dict[str, float]:
    """:func:`linear_probe_logits` without the test logits."""
    return linear_probe_logits(*args, **kwargs)[0]


def linear_probe_logits(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                        num_classes: int, epochs: int = 80, lr: float = 0.1, milestones: tuple[int, ...] = (50, 70),
                        batch_size: int = 256, seed: int = 0, standardize: bool = False, optimizer: str = "sgd",
                        weight_decay: float = 0.0, train_views: Callable[[int], torch.Tensor] | None = None
                        ) -> tuple[dict[str, float], torch.Tensor]:  # fmt: skip
    """A linear classifier on frozen features (I2MD: 80 epochs, SGD lr 0.1, x0.1 at 50 and 70).

    Args:
        seed: Seeds the classifier's initialisation and the batch order.
        standardize: z-score the features with the training features' mean and std
            first. Off in the papers' protocol; an untrained encoder's features vary so
            little across samples that an unscaled probe cannot fit them.
        optimizer: ``sgd`` (momentum 0.9) or ``adam`` (ASMa: Adam lr 1e-3, 150 epochs).
        weight_decay: L2 penalty of the classifier.
        train_views: ``epoch -> (N, D)`` features of that epoch's training views, in
            ``train_y``'s order (the classifier then trains on views redrawn every epoch;
            ``train_x`` are those of epoch 0, which standardisation and train top-1 use).

    Returns:
        The final epoch's test top-1 (and train top-1), and the test logits ``(N_test, classes)``.
    """
    protocol = LinearProtocol(epochs, lr, optimizer, tuple(milestones), weight_decay)
    mean, std = (train_x.mean(0), train_x.std(0).clamp_min(1e-8)) if standardize else (0.0, 1.0)
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    inputs = (train_x,) if train_views is None else (lambda e: ((train_views(e) - mean) / std,))
    torch.manual_seed(seed)  # the classifier's initialisation, whatever the caller drew before
    head = fit_classifier(nn.Linear(train_x.shape[1], num_classes), inputs, train_y, protocol, epochs,
                          batch_size, seed)  # fmt: skip
    return ({"top1": classifier_accuracy(head, (test_x,), test_y, len(test_y) or 1),
             "train_top1": classifier_accuracy(head, (train_x,), train_y, len(train_y) or 1)},
            classifier_logits(head, (test_x,)))


def standardize_pair(theta: torch.Tensor, phi: torch.Tensor, test_theta: torch.Tensor,
                     test_phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """z-score each encoder's ``(N, T', D)`` per-frame features with its training features' per-channel
    mean and std: ``(theta, phi, test_theta, test_phi)`` standardised."""
    stats = [(x.mean((0, 1)), x.std((0, 1)).clamp_min(1e-8)) for x in (theta, phi)]
    (tm, ts), (pm, ps) = stats
    return (theta - tm) / ts, (phi - pm) / ps, (test_theta - tm) / ts, (test_phi - pm) / ps


def train_alignment(
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    num_classes: int,
    protocol: LinearProtocol,
    epochs: int | None = None,
    num_heads: int = 4,
    batch_size: int = 256,
    seed: int = 0,
    device: torch.device | None = None,
    standardize: bool = False,
) -> tuple[dict[str, float], FeatureAlignment]:
    """Trains the alignment module and classifier on frozen per-frame features.

    Args:
        train: ``(theta [N, T', D], phi [N, T', D], labels [N])`` of the training part.
        test: The same for the test part.
        num_classes: Classes of the classifier.
        protocol: Optimiser, rate, milestones (x0.1) and weight decay (ASMa: Adam 1e-3).
        epochs: Epochs (None: the protocol's, 150 for ASMa).
        num_heads: Attention heads per direction (4).
        batch_size: Mini-batch size.
        seed: Seeds the module's initialisation and the batch order.
        device: Where the module trains (default CPU).
        standardize: z-score each encoder's per-frame features with its training
            features' per-channel mean and std first (as ``linear_probe`` does): off in
            the paper's protocol; needed for a fair untrained baseline.

    Returns:
        The final epoch's test ``top1`` and ``train_top1``, and the trained module (the
        classifier of ASMa-Distill's linear-probed teacher).
    """
    theta, phi, labels = train
    if theta.shape != phi.shape or theta.dim() != 3 or len(labels) != len(theta):
        raise ValueError(f"expected two (N, T', D) feature tensors and N labels, got {tuple(theta.shape)}, "
                         f"{tuple(phi.shape)} and {len(labels)} labels")  # fmt: skip
    if standardize:
        theta, phi, *test_pair = standardize_pair(theta, phi, test[0], test[1])
        test = (*test_pair, test[2])
    torch.manual_seed(seed)
    module = FeatureAlignment(theta.shape[2], num_classes, num_heads=num_heads)
    module = fit_classifier(module, (theta, phi), labels, protocol, protocol.epochs if epochs is None else epochs,
                            batch_size, seed, device)  # fmt: skip
    metrics = {"top1": classifier_accuracy(module, test[:2], test[2], batch_size, device),
               "train_top1": classifier_accuracy(module, (theta, phi), labels, batch_size, device)}
    return metrics, module
