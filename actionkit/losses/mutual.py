"""Mutual learning across models and modalities (MML eq. 1-4, Appendix 2).

Each of M models is trained with its own task loss plus the Kullback-Leibler divergence
from the mean of the other models' predicted distributions to its own (eq. 4):

    L_i = CE(p_i, y) + KL( (1 / (M - 1)) sum_{j != i} p_j  ||  p_i )

with ``KL(q || p) = sum_n q^n log(q^n / p^n)`` (eq. 3). As in deep mutual learning, the
other models' distributions are targets: no gradient flows into them through L_i (each
model is updated by its own loss only). The KL is averaged over the batch ("batchmean",
the magnitude of the cross-entropy).

Multi-label datasets (Charades; Appendix 2): the task loss is the binary cross-entropy
averaged over batch x classes, the distributions are the per-class sigmoids, and the KL
(of the Bernoulli distributions, summed over both outcomes) is divided by B x N so that
both terms keep the same magnitude.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["mutual_learning_loss", "kl_to_mean_of_others"]


def kl_to_mean_of_others(logits: list[torch.Tensor], multilabel: bool = False) -> list[torch.Tensor]:
    """Each model's ``KL(mean of the others' p || p_i)``, scalar per model.

    Args:
        logits: M tensors ``[B, N]`` (M >= 2).
        multilabel: Per-class Bernoulli distributions (sigmoid) and a ``B x N`` mean
            instead of softmax distributions and a batch mean.

    Returns:
        M scalars.
    """
    m = len(logits)
    if m < 2:
        raise ValueError("mutual learning needs at least two models")
    out = []
    if multilabel:
        probs = [torch.sigmoid(x.detach().float()) for x in logits]
        for i, x in enumerate(logits):
            q = (sum(probs) - probs[i]) / (m - 1)
            log_p, log_not_p = F.logsigmoid(x.float()), F.logsigmoid(-x.float())
            eps = torch.finfo(q.dtype).tiny
            kl = q * (torch.log(q.clamp_min(eps)) - log_p) + (1 - q) * (torch.log((1 - q).clamp_min(eps)) - log_not_p)
            out.append(kl.mean())
        return out
    probs = [F.softmax(x.detach().float(), dim=-1) for x in logits]
    for i, x in enumerate(logits):
        q = (sum(probs) - probs[i]) / (m - 1)
        out.append(F.kl_div(F.log_softmax(x.float(), dim=-1), q, reduction="batchmean"))
    return out


def mutual_learning_loss(logits: list[torch.Tensor], targets: torch.Tensor, *, multilabel: bool = False,
                         kl_weight: float = 1.0) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """The summed loss of M mutually learning models (eq. 4).

    Args:
        logits: M tensors ``[B, N]``, one per model (any mix of modalities).
        targets: ``[B]`` class indices, or ``[B, N]`` 0/1 labels when ``multilabel``.
        multilabel: BCE and the B x N-averaged KL of Appendix 2.
        kl_weight: Factor of the KL terms (1 in the paper).

    Returns:
        ``(sum_i L_i, [task loss per model], [KL per model])``.
    """
    if multilabel:
        task = [F.binary_cross_entropy_with_logits(x.float(), targets.float()) for x in logits]
    else:
        task = [F.cross_entropy(x.float(), targets) for x in logits]
    if len(logits) == 1:
        return task[0], task, [torch.zeros((), device=targets.device)]
    kl = kl_to_mean_of_others(logits, multilabel)
    total = sum(t + kl_weight * k for t, k in zip(task, kl))
    return total, task, kl
