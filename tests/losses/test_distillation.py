"""I2MD mutual distillation against a per-sample loop (eq. 2-4, 6); ASMa logit distillation by hand (eq. 13-14)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from actionkit.losses import distill, info_nce, knowledge_distillation, mutual_distillation


def unit(*shape, seed):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64), dim=-1)


def softmax(values, tau):
    e = [math.exp(v / tau) for v in values]
    return [x / sum(e) for x in e]


def slow_distill(tk, tqueue, sq, squeue, k, tau_t, tau_s):
    total = 0.0
    for b in range(len(tk)):
        sims = [float(tk[b] @ m) for m in tqueue]
        anchors = sorted(range(len(sims)), key=lambda i: -sims[i])[:k]  # top-K_c neighbours of the teacher key
        p = softmax([sims[i] for i in anchors], tau_t)
        s = softmax([float(sq[b] @ squeue[i]) for i in anchors], tau_s)  # the student's queue, same positions
        total += sum(pi * math.log(pi / si) for pi, si in zip(p, s) if pi > 0)
    return total / len(tk)


@pytest.mark.parametrize("k", [1, 5, 16])
def test_distill_matches_the_definition(k):
    tk, tq, sq, sqq = unit(6, 8, seed=0), unit(16, 8, seed=1), unit(6, 8, seed=2), unit(16, 8, seed=3)
    got = distill(tk, tq, sq, sqq, k, tau_t=0.05, tau_s=0.1).item()
    assert got == pytest.approx(slow_distill(tk, tq, sq, sqq, k, 0.05, 0.1), rel=1e-5, abs=1e-9)


def test_mutual_is_the_sum_of_both_directions_and_each_can_be_chosen():
    aq, ak, aqueue = unit(4, 8, seed=0), unit(4, 8, seed=1), unit(20, 8, seed=2)
    bq, bk, bqueue = unit(4, 8, seed=3), unit(4, 8, seed=4), unit(20, 8, seed=5)
    a_to_b = slow_distill(ak, aqueue, bq, bqueue, 7, 0.05, 0.1)
    b_to_a = slow_distill(bk, bqueue, aq, aqueue, 7, 0.05, 0.1)
    args = (aq, ak, aqueue, bq, bk, bqueue, 7)
    assert mutual_distillation(*args).item() == pytest.approx(a_to_b + b_to_a, rel=1e-5)
    assert mutual_distillation(*args, directions="a_to_b").item() == pytest.approx(a_to_b, rel=1e-5)
    assert mutual_distillation(*args, directions="b_to_a").item() == pytest.approx(b_to_a, rel=1e-5)


def test_eq6_zero_teacher_temperature_and_all_anchors_is_contrastive_with_the_mined_positive():
    # tau_t -> 0 and K_c = N: the teacher is one-hot at its nearest queue entry u, and the
    # loss is -log softmax_u of the student's query over its whole queue: InfoNCE whose
    # positive is the student's queue entry u and whose negatives are the other entries.
    tk, tq, sq, sqq = unit(5, 8, seed=0), unit(12, 8, seed=1), unit(5, 8, seed=2), unit(12, 8, seed=3)
    got = distill(tk, tq, sq, sqq, k=12, tau_t=1e-4, tau_s=0.1)
    u = (tk @ tq.t()).argmax(1)
    positive = sqq[u]
    negatives = [torch.cat([sqq[:i], sqq[i + 1 :]]) for i in u.tolist()]
    expected = sum(info_nce(sq[b : b + 1], positive[b : b + 1], negatives[b], 0.1) for b in range(5)) / 5
    assert got.item() == pytest.approx(expected.item(), rel=1e-6)


def test_no_gradient_into_the_teacher():
    tk = unit(4, 8, seed=0).requires_grad_()
    tq = unit(10, 8, seed=1).requires_grad_()
    sq = unit(4, 8, seed=2).requires_grad_()
    sqq = unit(10, 8, seed=3).requires_grad_()
    distill(tk, tq, sq, sqq, 4).backward()
    assert tk.grad is None and tq.grad is None and sqq.grad is None
    assert sq.grad is not None and sq.grad.abs().sum() > 0


def test_identical_entities_have_zero_loss_at_equal_temperatures():
    q, queue = unit(4, 8, seed=0), unit(10, 8, seed=1)
    assert distill(q, queue, q, queue, 6, tau_t=0.1, tau_s=0.1).item() == pytest.approx(0.0, abs=1e-12)


def test_errors_name_the_problem():
    q = unit(2, 8, seed=0)
    with pytest.raises(ValueError, match="not aligned"):
        distill(q, unit(10, 8, seed=1), q, unit(9, 8, seed=2), 4)
    with pytest.raises(ValueError, match="k must be in 1..10"):
        distill(q, unit(10, 8, seed=1), q, unit(10, 8, seed=2), 11)
    with pytest.raises(ValueError, match="directions"):
        mutual_distillation(q, q, unit(10, 8, seed=1), q, q, unit(10, 8, seed=1), 3, directions="up")


# ASMa-Distill (eq. 13-14): logits of two samples over three classes.
STUDENT = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]
TEACHER = [[2.0, 0.0, 1.0], [4.0, 1.0, -2.0]]


def kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def hand_kd(tau, reverse=False):
    total = 0.0
    for s, t in zip(STUDENT, TEACHER):
        ps, pt = softmax(s, tau), softmax(t, tau)
        total += kl(ps, pt) if reverse else kl(pt, ps)
    return total / len(STUDENT)


def logits(rows, grad=False):
    return torch.tensor(rows, dtype=torch.float64, requires_grad=grad)


@pytest.mark.parametrize("tau", [1.0, 2.0, 8.0])
def test_knowledge_distillation_matches_a_hand_computation(tau):
    got = knowledge_distillation(logits(STUDENT), logits(TEACHER), tau=tau).item()
    assert got == pytest.approx(hand_kd(tau), rel=1e-12)
    reverse = knowledge_distillation(logits(STUDENT), logits(TEACHER), tau=tau, reverse=True).item()
    assert reverse == pytest.approx(hand_kd(tau, reverse=True), rel=1e-12)
    assert reverse != pytest.approx(got, rel=1e-3)  # the two readings of eq. 14 differ
    scaled = knowledge_distillation(logits(STUDENT), logits(TEACHER), tau=tau, scale_tau_squared=True).item()
    assert scaled == pytest.approx(tau**2 * hand_kd(tau), rel=1e-12)


def test_knowledge_distillation_default_temperature_is_8():
    assert knowledge_distillation(logits(STUDENT), logits(TEACHER)).item() == pytest.approx(hand_kd(8.0), rel=1e-12)


def test_knowledge_distillation_gradient_reaches_only_the_student():
    student, teacher = logits(STUDENT, grad=True), logits(TEACHER, grad=True)
    tau = 4.0
    knowledge_distillation(student, teacher, tau=tau).backward()
    assert teacher.grad is None
    # d KL(p_T || p_S) / d z_s = (p_S - p_T) / tau, divided by the batch size.
    expected = [[(a - b) / (tau * 2) for a, b in zip(softmax(s, tau), softmax(t, tau))]
                for s, t in zip(STUDENT, TEACHER)]  # fmt: skip
    torch.testing.assert_close(student.grad, torch.tensor(expected, dtype=torch.float64))


def test_knowledge_distillation_zero_at_identical_logits_and_fp32_for_bf16():
    z = logits(TEACHER)
    assert knowledge_distillation(z, z.clone(), tau=3.0).item() == pytest.approx(0.0, abs=1e-15)
    out = knowledge_distillation(logits(STUDENT).bfloat16(), logits(TEACHER).bfloat16(), tau=2.0)
    assert out.dtype == torch.float32
    assert out.item() == pytest.approx(hand_kd(2.0), rel=2e-2)


def test_knowledge_distillation_errors_name_the_problem():
    with pytest.raises(ValueError, match="same shape"):
        knowledge_distillation(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="tau must be positive"):
        knowledge_distillation(torch.zeros(2, 3), torch.zeros(2, 3), tau=0.0)
