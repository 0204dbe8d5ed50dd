"""ASMa's feature-alignment linear evaluation (``actionkit eval linear RUN --align``).

ASMa (section 4, "Downstream Evaluation"; Table 3): with both pre-trained encoders
f_theta and f_phi frozen, only the feature-alignment module (bi-directional 4-head
attention between the two encoders' per-frame features, summed, pooled over time,
eq. 10-11) and its linear classifier (eq. 12) are trained, for 150 epochs at lr 1e-3.

The encoders are frozen, so their per-frame features are computed once (from the test
view, as the single-encoder linear protocol does) and the module trains on the cached
``(N, T', D)`` tensors. The functions here are pure: the caller loads the encoders and
builds the datasets (:mod:`actionkit.trainers.evaluation`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from actionkit.data import collate
from actionkit.models import FeatureAlignment
from actionkit.trainers.method import LinearProtocol

__all__ = ["extract_frame_features", "train_alignment"]


@torch.no_grad()
def extract_frame_features(encoder: torch.nn.Module, dataset: Dataset, device: torch.device,
                           batch_size: int = 128, key: str = "x") -> tuple[torch.Tensor, torch.Tensor]:
    """Per-frame features of every item, in order.

    Args:
        encoder: A backbone with ``forward_frames(x) -> (B, T', D)`` (ST-GCN, GCN-Transformer).
        dataset: Items with ``key`` ``(C, T, V, M)`` and ``label``.
        device: Where the encoder runs.
        batch_size: Items per forward pass.
        key: The batch entry fed to the encoder.

    Returns:
        ``(N, T', D)`` float32 features and ``(N,)`` labels, on the CPU.

    Raises:
        ValueError: The encoder has no per-frame output.
    """
    if not hasattr(encoder, "forward_frames"):
        raise ValueError(f"{type(encoder).__name__} has no per-frame features (forward_frames); "
                         "the alignment module needs them")  # fmt: skip
    encoder.eval().to(device)
    feats, labels = [], []
    for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0, collate_fn=collate):
        feats.append(encoder.forward_frames(batch[key].to(device)).float().cpu())
        labels.append(batch["label"])
    return torch.cat(feats), torch.cat(labels)


def _optimizer(module: torch.nn.Module, protocol: LinearProtocol) -> torch.optim.Optimizer:
    if protocol.optimizer == "sgd":
        return torch.optim.SGD(module.parameters(), lr=protocol.lr, momentum=0.9, weight_decay=protocol.weight_decay)
    if protocol.optimizer == "adam":
        return torch.optim.Adam(module.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay)
    raise ValueError(f"unknown optimiser {protocol.optimizer!r}; valid: sgd, adam")


@torch.no_grad()
def _accuracy(module: FeatureAlignment, theta: torch.Tensor, phi: torch.Tensor, labels: torch.Tensor,
              batch_size: int, device: torch.device) -> float:
    module.eval()
    correct = 0
    for i in range(0, len(labels), batch_size):
        logits = module(theta[i:i + batch_size].to(device), phi[i:i + batch_size].to(device))
        correct += int((logits.argmax(1).cpu() == labels[i:i + batch_size]).sum())
    return correct / max(1, len(labels))


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

    Returns:
        The final epoch's test ``top1`` and ``train_top1``, and the trained module (the
        classifier of ASMa-Distill's linear-probed teacher).
    """
    theta, phi, labels = train
    if theta.shape != phi.shape or theta.dim() != 3 or len(labels) != len(theta):
        raise ValueError(f"expected two (N, T', D) feature tensors and N labels, got {tuple(theta.shape)}, "
                         f"{tuple(phi.shape)} and {len(labels)} labels")  # fmt: skip
    device = device or torch.device("cpu")
    torch.manual_seed(seed)
    module = FeatureAlignment(theta.shape[2], num_classes, num_heads=num_heads).to(device)
    opt = _optimizer(module, protocol)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=list(protocol.milestones), gamma=0.1)
    g = torch.Generator().manual_seed(seed)
    for _ in range(protocol.epochs if epochs is None else epochs):
        module.train()
        order = torch.randperm(len(labels), generator=g)
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            logits = module(theta[idx].to(device), phi[idx].to(device))
            loss = F.cross_entropy(logits, labels[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
    metrics = {"top1": _accuracy(module, *test[:2], test[2], batch_size, device),
               "train_top1": _accuracy(module, theta, phi, labels, batch_size, device)}
    return metrics, module.eval()
