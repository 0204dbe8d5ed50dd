"""MML's mutual learning loss against sample-by-sample implementations of eq. 3-4 and Appendix 2."""

from __future__ import annotations

import math

import pytest
import torch

from actionkit.losses.mutual import kl_to_mean_of_others, mutual_learning_loss


def slow_loss(logits, labels):
    """Per-model (CE, KL) by explicit sums: KL(q || p_i) = sum_n q^n log(q^n / p_i^n), q = mean of the others."""
    m, b = len(logits), len(labels)
    ces, kls = [], []
    for i in range(m):
        ce = kl = 0.0
        for s in range(b):
            p = torch.softmax(logits[i][s], 0).tolist()
            ce -= math.log(p[labels[s]]) / b
            others = [torch.softmax(logits[j][s], 0).tolist() for j in range(m) if j != i]
            q = [sum(o[n] for o in others) / (m - 1) for n in range(len(p))]
            kl += sum(q[n] * math.log(q[n] / p[n]) for n in range(len(p))) / b
        ces.append(ce)
        kls.append(kl)
    return ces, kls


@pytest.mark.parametrize("models", [2, 3])
def test_against_slow_loop(models):
    g = torch.Generator().manual_seed(models)
    logits = [torch.randn(5, 4, generator=g) * 2 for _ in range(models)]
    labels = torch.randint(0, 4, (5,), generator=g)
    total, task, kl = mutual_learning_loss(logits, labels)
    ces, kls = slow_loss(logits, labels)
    for i in range(models):
        assert task[i].item() == pytest.approx(ces[i], rel=1e-5)
        assert kl[i].item() == pytest.approx(kls[i], rel=1e-5, abs=1e-7)
    assert total.item() == pytest.approx(sum(ces) + sum(kls), rel=1e-5)


def test_kl_direction_and_batchmean():
    # KL(q || p) and KL(p || q) differ for these; batchmean = sum over classes, mean over samples.
    a = torch.tensor([[3.0, 0.0, 0.0]])
    b = torch.tensor([[0.5, 0.4, 0.0]])
    kl_a = kl_to_mean_of_others([a, b])[0]
    p, q = torch.softmax(a, 1)[0], torch.softmax(b, 1)[0]
    assert kl_a.item() == pytest.approx((q * (q / p).log()).sum().item(), rel=1e-6)
    assert kl_a.item() != pytest.approx((p * (p / q).log()).sum().item(), rel=1e-2)
    doubled = kl_to_mean_of_others([a.repeat(2, 1), b.repeat(2, 1)])[0]
    assert doubled.item() == pytest.approx(kl_a.item(), rel=1e-6)


def test_each_model_is_updated_by_its_own_loss_only():
    logits = [torch.randn(3, 4, requires_grad=True) for _ in range(2)]
    kl = kl_to_mean_of_others(logits)
    kl[0].backward()
    assert logits[0].grad.abs().sum() > 0 and logits[1].grad is None


def test_multilabel_appendix_2():
    g = torch.Generator().manual_seed(0)
    logits = [torch.randn(3, 5, generator=g) for _ in range(2)]
    targets = (torch.rand(3, 5, generator=g) > 0.5).float()
    total, task, kl = mutual_learning_loss(logits, targets, multilabel=True)
    p0, p1 = torch.sigmoid(logits[0]), torch.sigmoid(logits[1])
    expected = (p1 * (p1 / p0).log() + (1 - p1) * ((1 - p1) / (1 - p0)).log()).sum() / (3 * 5)
    assert kl[0].item() == pytest.approx(expected.item(), rel=1e-5)
    bce = torch.nn.functional.binary_cross_entropy(p0, targets)
    assert task[0].item() == pytest.approx(bce.item(), rel=1e-5)


def test_single_model_is_plain_cross_entropy_and_errors():
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    total, _, kl = mutual_learning_loss([x], y)
    assert total.item() == pytest.approx(torch.nn.functional.cross_entropy(x, y).item())
    assert kl[0].item() == 0.0
    with pytest.raises(ValueError, match="at least two models"):
        kl_to_mean_of_others([x])
