"""Multiple choice learning over one network per modality: DMCL and its baselines (DMCL Tables 1-2).

Every network sees the same sample in its own modality. Per sample, the criterion picks
a winner; the winner and the losers are then updated by the strategy's rules:

=================  ===============================  ==========================================
strategy           winner per sample                loser update
=================  ===============================  ==========================================
``dmcl``           lowest cross-entropy             generalized distillation from the winner:
                                                    ``(1 - lambda) CE(y, p) + lambda CE(s_w, s)``
``smcl``           lowest cross-entropy             none
``cmcl``           lowest CE + beta x the others'   ``beta KL(U || p)`` (towards uniform)
                   ``KL(U || p)``
``random-teacher`` uniformly random                 as ``dmcl``
``independent``    (none: every network is          CE for every network
                   trained on its own)
=================  ===============================  ==========================================

The winner's loss is always the cross-entropy with the ground truth. The soft targets
``s = softmax(logits / T)`` (DMCL eq. 2); the teacher's carry no gradient. DMCL eq. 3
as printed scores the student at temperature 1, Algorithm 1 (line 29) at T; T is used
here (Hinton et al.'s distillation, and the authors' code). Their code also multiplies
the distillation term by ``T^2`` and gives the loser's ground-truth term its own weight:
``distill_scale=T**2`` and ``loser_gt_weight`` reproduce it.

Each network's per-sample losses are averaged over the batch and the networks' losses
summed, so every network's gradient is that of its own mean loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["STRATEGIES", "MCLLoss", "mcl_loss", "select_winners", "soft_cross_entropy", "uniform_kl"]

STRATEGIES = ("dmcl", "smcl", "cmcl", "random-teacher", "independent")


@dataclass
class MCLLoss:
    """What :func:`mcl_loss` computed.

    Attributes:
        loss: The scalar to minimise.
        per_network: ``[M]`` each network's mean loss (detached).
        winners: ``[B]`` index of each sample's winner (-1 for ``independent``).
        ce: ``[M, B]`` cross-entropy of every network on every sample (detached).
    """

    loss: torch.Tensor
    per_network: torch.Tensor
    winners: torch.Tensor
    ce: torch.Tensor


def soft_cross_entropy(target_logits: torch.Tensor, logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``-sum_k softmax(t / T)_k log softmax(l / T)_k`` per sample, no gradient into the target.

    Args:
        target_logits: ``[B, K]`` teacher logits.
        logits: ``[B, K]`` student logits.
        temperature: T.

    Returns:
        ``[B]``.
    """
    target = F.softmax(target_logits.detach().float() / temperature, dim=-1)
    return -(target * F.log_softmax(logits.float() / temperature, dim=-1)).sum(dim=-1)


def uniform_kl(logits: torch.Tensor) -> torch.Tensor:
    """``KL(U || softmax(logits))`` per sample: ``-log K - mean_k log p_k``.

    Args:
        logits: ``[..., K]``.

    Returns:
        ``[...]``.
    """
    k = logits.shape[-1]
    return -torch.log(torch.tensor(float(k))) - F.log_softmax(logits.float(), dim=-1).mean(dim=-1)


def select_winners(ce: torch.Tensor, strategy: str, *, beta: float = 0.75, uniform: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Each sample's winning network.

    Args:
        ce: ``[M, B]`` cross-entropies.
        strategy: One of :data:`STRATEGIES` except ``independent``.
        beta: CMCL's weight of the losers' uniform term.
        uniform: ``[M, B]`` ``KL(U || p)`` (CMCL only).
        generator: Random source of ``random-teacher`` (default: torch's global one).

    Returns:
        ``[B]`` int64 network indices; ties go to the lower index.
    """
    if strategy in ("dmcl", "smcl"):
        return ce.argmin(dim=0)
    if strategy == "cmcl":
        if uniform is None:
            raise ValueError("cmcl needs the uniform KL terms")
        # Total loss if network m wins: its CE plus beta x every other network's KL(U || p).
        total = ce + beta * (uniform.sum(dim=0, keepdim=True) - uniform)
        return total.argmin(dim=0)
    if strategy == "random-teacher":
        m, b = ce.shape
        return torch.randint(0, m, (b,), generator=generator, device="cpu").to(ce.device)
    raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")


def mcl_loss(
    logits: list[torch.Tensor],
    labels: torch.Tensor,
    strategy: str = "dmcl",
    *,
    temperature: float = 2.0,
    lam: float = 0.5,
    beta: float = 0.75,
    distill_scale: float = 1.0,
    loser_gt_weight: float | None = None,
    generator: torch.Generator | None = None,
) -> MCLLoss:
    """The loss of M modality networks on one batch.

    Args:
        logits: M tensors ``[B, K]``, one per network.
        labels: ``[B]`` class indices.
        strategy: One of :data:`STRATEGIES`.
        temperature: DMCL's T (2 or 5 in the paper).
        lam: DMCL's lambda (0.5 or 1).
        beta: CMCL's weight of the uniform term.
        distill_scale: Factor of the distillation term (1 in the paper; ``T**2`` in the
            authors' code).
        loser_gt_weight: Weight of the losers' ground-truth term (default ``1 - lam``).
        generator: Random source of ``random-teacher``.

    Returns:
        An :class:`MCLLoss`.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
    if len(logits) < 1:
        raise ValueError("mcl_loss needs at least one network's logits")
    m, b = len(logits), labels.shape[0]
    ce = torch.stack([F.cross_entropy(x.float(), labels, reduction="none") for x in logits])  # [M, B]
    if strategy == "independent":
        per = ce.mean(dim=1)
        return MCLLoss(per.sum(), per.detach(), torch.full((b,), -1, dtype=torch.long, device=labels.device),
                       ce.detach())
    uniform = torch.stack([uniform_kl(x) for x in logits]) if strategy == "cmcl" else None
    winners = select_winners(ce.detach(), strategy, beta=beta,
                             uniform=None if uniform is None else uniform.detach(), generator=generator)
    is_winner = F.one_hot(winners, m).T.to(ce.dtype)  # [M, B]
    gt_weight = 1.0 - lam if loser_gt_weight is None else loser_gt_weight
    if strategy == "smcl":
        loser = torch.zeros_like(ce)
    elif strategy == "cmcl":
        loser = beta * uniform
    else:
        stacked = torch.stack([x.float() for x in logits])  # [M, B, K]
        teacher = stacked[winners, torch.arange(b, device=labels.device)]  # [B, K]
        soft = torch.stack([soft_cross_entropy(teacher, x, temperature) for x in logits])
        loser = gt_weight * ce + lam * distill_scale * soft
    per_sample = is_winner * ce + (1 - is_winner) * loser
    per = per_sample.mean(dim=1)
    return MCLLoss(per.sum(), per.detach(), winners, ce.detach())
