"""Mutual distillation between two contrastive entities (I2MD eq. 2-5 and 8).

Knowledge of an entity is the distribution of its embedding's similarities over a set
of anchors (eq. 2). From entity A to entity B (eq. 3): the anchors are the top-K_c
nearest neighbours of A's key ``z_k^A`` in A's queue; the teacher distribution is A's
key over those anchors at ``tau_t``; the student distribution is B's query over the
entries of B's queue at the same queue positions, at ``tau_s``; the loss is
``KL(teacher || student)`` with no gradient into the teacher. This reads the two
queues at the same positions, so the method must enqueue them in lockstep (the
reference code relies on the same alignment).

Mutual distillation (eq. 4) sums both directions; cross-modal distillation (eq. 5)
sums it over modality pairs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from actionkit.losses.contrastive import at_least_fp32, queue_logits

__all__ = ["distill", "mutual_distillation"]


def distill(
    teacher_key: torch.Tensor,
    teacher_queue: torch.Tensor,
    student_query: torch.Tensor,
    student_queue: torch.Tensor,
    k: int,
    tau_t: float = 0.05,
    tau_s: float = 0.1,
) -> torch.Tensor:
    """One-directional distillation ``KL(p(z_k^A, tau_t) || p(z_q^B, tau_s))`` (eq. 3).

    Args:
        teacher_key: ``[B, D]`` A's key embeddings (no gradient flows into them).
        teacher_queue: ``[N, D]`` A's queue.
        student_query: ``[B, D]`` B's query embeddings.
        student_queue: ``[N, D]`` B's queue, aligned with A's (entry i of both comes
            from the same sample).
        k: Number of anchors K_c (at most N).
        tau_t: Teacher temperature.
        tau_s: Student temperature.

    Returns:
        Scalar: the KL divergence summed over the anchors, averaged over the batch.
    """
    n = teacher_queue.shape[0]
    if student_queue.shape[0] != n:
        raise ValueError(f"queues are not aligned: {n} teacher entries, {student_queue.shape[0]} student entries")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n} (the queue size), got {k}")
    with torch.no_grad():
        teacher = at_least_fp32(queue_logits(teacher_key.detach(), teacher_queue))
        top, idx = teacher.topk(k, dim=1)
        target = F.softmax(top / tau_t, dim=1)
    student = at_least_fp32(queue_logits(student_query, student_queue)).gather(1, idx)
    log_student = F.log_softmax(student / tau_s, dim=1)
    return F.kl_div(log_student, target, reduction="batchmean")


def mutual_distillation(
    a_query: torch.Tensor,
    a_key: torch.Tensor,
    a_queue: torch.Tensor,
    b_query: torch.Tensor,
    b_key: torch.Tensor,
    b_queue: torch.Tensor,
    k: int,
    tau_t: float = 0.05,
    tau_s: float = 0.1,
    directions: str = "both",
) -> torch.Tensor:
    """Mutual distillation between entities A and B (eq. 4).

    Args:
        a_query, a_key, a_queue: A's ``[B, D]`` query and key embeddings and ``[N, D]`` queue.
        b_query, b_key, b_queue: B's, likewise; the queues aligned.
        k, tau_t, tau_s: See :func:`distill`.
        directions: ``both`` (eq. 4), ``a_to_b`` (A teaches B only) or ``b_to_a``.

    Returns:
        Scalar loss.
    """
    if directions not in ("both", "a_to_b", "b_to_a"):
        raise ValueError(f"directions must be both, a_to_b or b_to_a, got {directions!r}")
    loss = at_least_fp32(a_query.new_zeros(()))
    if directions in ("both", "a_to_b"):
        loss = loss + distill(a_key, a_queue, b_query, b_queue, k, tau_t, tau_s)
    if directions in ("both", "b_to_a"):
        loss = loss + distill(b_key, b_queue, a_query, a_queue, k, tau_t, tau_s)
    return loss
