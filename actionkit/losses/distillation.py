"""Distillation losses: I2MD's mutual distillation and ASMa's logit distillation.

**Mutual distillation between two contrastive entities (I2MD eq. 2-5 and 8).**
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

**Logit distillation from a frozen teacher (ASMa eq. 13-14).** The teacher's logits
``z_k`` are softened by a temperature ``tau``, ``y_T = softmax(z_k / tau)`` (eq. 13); the
student's logits ``z_s`` are converted the same way, ``y_S = softmax(z_s / tau)``; the
loss is their Kullback-Leibler divergence (eq. 14), with no ground-truth term and no
gradient into the teacher. Eq. 14 is printed ``L_KL(y^S || y^T)``; it is read here as
Hinton et al.'s distillation ``KL(y^T || y^S) = sum_i y^T_i log(y^T_i / y^S_i)`` (the
student matches the teacher; the printed argument order is that of the usual
``kl_div(log y^S, y^T)`` call, which computes this divergence); ``reverse=True`` gives the
literal ``KL(y^S || y^T)``. The paper does not scale the loss by ``tau^2`` (Hinton et al.
do, to balance it against a hard-label term that ASMa does not have);
``scale_tau_squared=True`` adds it. The paper tunes ``tau`` per dataset (8 on NTU-60
x-sub, 9 on x-view, 6 on NTU-120 x-sub); the default is 8.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from actionkit.losses.contrastive import at_least_fp32, queue_logits

__all__ = ["distill", "knowledge_distillation", "mutual_distillation"]


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


def knowledge_distillation(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    tau: float = 8.0,
    reverse: bool = False,
    scale_tau_squared: bool = False,
) -> torch.Tensor:
    """KL divergence between temperature-softened teacher and student predictions.

    Args:
        student_logits: ``[B, C]`` logits ``z_s`` of the student.
        teacher_logits: ``[B, C]`` logits ``z_k`` of the frozen teacher (detached here:
            no gradient flows into the teacher).
        tau: Temperature applied to both (eq. 13), > 0.
        reverse: False: ``KL(teacher || student)`` (Hinton); True: ``KL(student || teacher)``,
            eq. 14 read literally.
        scale_tau_squared: Multiply the loss by ``tau^2``.

    Returns:
        Scalar: the divergence summed over the classes and averaged over the batch, in at
        least float32.
    """
    if student_logits.dim() != 2 or student_logits.shape != teacher_logits.shape:
        raise ValueError(f"expected student and teacher logits [B, C] of the same shape, got "
                         f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}")  # fmt: skip
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    log_student = F.log_softmax(at_least_fp32(student_logits) / tau, dim=1)
    log_teacher = F.log_softmax(at_least_fp32(teacher_logits.detach()) / tau, dim=1).to(log_student.dtype)
    if reverse:
        loss = F.kl_div(log_teacher, log_student, reduction="batchmean", log_target=True)
    else:
        loss = F.kl_div(log_student, log_teacher, reduction="batchmean", log_target=True)
    return loss * tau**2 if scale_tau_squared else loss
