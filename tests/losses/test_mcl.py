"""MCL strategies (DMCL, SMCL, CMCL, random teacher, independent) against hand computations and a slow loop."""

from __future__ import annotations

import math

import pytest
import torch

from actionkit.losses.mcl import STRATEGIES, mcl_loss, select_winners, soft_cross_entropy, uniform_kl

LABELS = torch.tensor([0, 1, 2])
# Three networks (rgb, depth, flow) x three samples x three classes.
LOGITS = [
    torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),  # rgb: best on sample 0
    torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 3.0]]),  # depth: best on sample 2
    torch.tensor([[1.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 1.0]]),  # flow: best on sample 1
]


def _ce(logit, y):
    return -(logit[y] - torch.logsumexp(logit, 0)).item()


def test_winners_by_hand():
    ce = torch.tensor([[_ce(LOGITS[m][i], LABELS[i]) for i in range(3)] for m in range(3)])
    assert select_winners(ce, "dmcl").tolist() == [0, 2, 1]
    out = mcl_loss([x.clone() for x in LOGITS], LABELS, "dmcl")
    assert out.winners.tolist() == [0, 2, 1]
    torch.testing.assert_close(out.ce, ce)


def slow_reference(logits, labels, strategy, T, lam, beta, winners=None):
    """Per-network mean loss, sample by sample."""
    m, b, k = len(logits), len(labels), logits[0].shape[1]
    totals = [0.0] * m
    for i in range(b):
        ce = [_ce(logits[j][i], labels[i]) for j in range(m)]
        kl = [-math.log(k) - torch.log_softmax(logits[j][i], 0).mean().item() for j in range(m)]
        if strategy == "independent":
            for j in range(m):
                totals[j] += ce[j] / b
            continue
        if winners is not None:
            w = winners[i]
        elif strategy == "cmcl":
            w = min(range(m), key=lambda j: ce[j] + beta * sum(kl[o] for o in range(m) if o != j))
        else:
            w = min(range(m), key=lambda j: ce[j])
        for j in range(m):
            if j == w:
                totals[j] += ce[j] / b
            elif strategy == "cmcl":
                totals[j] += beta * kl[j] / b
            elif strategy in ("dmcl", "random-teacher"):
                s_w = torch.softmax(logits[w][i] / T, 0)
                soft = -(s_w * torch.log_softmax(logits[j][i] / T, 0)).sum().item()
                totals[j] += ((1 - lam) * ce[j] + lam * soft) / b
    return torch.tensor(totals)


@pytest.mark.parametrize("strategy", ["dmcl", "smcl", "cmcl", "independent"])
@pytest.mark.parametrize("T,lam", [(2.0, 0.5), (5.0, 1.0)])
def test_against_slow_loop(strategy, T, lam):
    g = torch.Generator().manual_seed(1)
    logits = [torch.randn(6, 5, generator=g) * 2 for _ in range(3)]
    labels = torch.randint(0, 5, (6,), generator=g)
    out = mcl_loss(logits, labels, strategy, temperature=T, lam=lam, beta=0.75)
    ref = slow_reference(logits, labels, strategy, T, lam, 0.75)
    torch.testing.assert_close(out.per_network, ref.float(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out.loss, ref.sum().float(), rtol=1e-5, atol=1e-6)


def test_random_teacher_uses_the_generator_and_the_dmcl_update():
    g = torch.Generator().manual_seed(3)
    logits = [torch.randn(64, 4, generator=g) for _ in range(3)]
    labels = torch.randint(0, 4, (64,), generator=g)
    a = mcl_loss(logits, labels, "random-teacher", generator=torch.Generator().manual_seed(7))
    b = mcl_loss(logits, labels, "random-teacher", generator=torch.Generator().manual_seed(7))
    assert torch.equal(a.winners, b.winners)
    assert set(a.winners.tolist()) == {0, 1, 2}
    assert not torch.equal(a.winners, a.ce.argmin(0))
    ref = slow_reference(logits, labels, "random-teacher", 2.0, 0.5, 0.75, winners=a.winners.tolist())
    torch.testing.assert_close(a.per_network, ref.float(), rtol=1e-5, atol=1e-6)


def _grads(strategy, **kw):
    logits = [x.clone().requires_grad_(True) for x in LOGITS]
    mcl_loss(logits, LABELS, strategy, **kw).loss.backward()
    return [x.grad for x in logits]


def test_teacher_soft_targets_carry_no_gradient():
    # Sample 0's winner is rgb: its gradient on sample 0 must be that of its own CE alone.
    grads = _grads("dmcl", temperature=2.0, lam=0.5)
    p = torch.softmax(LOGITS[0][0], 0)
    expected = (p - torch.nn.functional.one_hot(LABELS[0], 3)) / 3
    torch.testing.assert_close(grads[0][0], expected)


def test_smcl_losers_get_no_gradient():
    grads = _grads("smcl")
    winners = [0, 2, 1]
    for m in range(3):
        for i in range(3):
            assert (grads[m][i].abs().sum() > 0) == (winners[i] == m)


def test_cmcl_pushes_losers_to_uniform():
    grads = _grads("cmcl", beta=0.75)
    winners = select_winners(
        torch.stack([torch.nn.functional.cross_entropy(x, LABELS, reduction="none") for x in LOGITS]), "cmcl",
        beta=0.75, uniform=torch.stack([uniform_kl(x) for x in LOGITS]))
    for i in range(3):
        for m in range(3):
            if m != winners[i]:
                p = torch.softmax(LOGITS[m][i], 0)
                torch.testing.assert_close(grads[m][i], 0.75 * (p - 1 / 3) / 3)


def test_reference_scaling_options():
    # The authors' code: distillation x T^2 (25 at T=5) and the losers' ground-truth term at weight 1.
    logits = [x.clone() for x in LOGITS]
    ref = mcl_loss(logits, LABELS, "dmcl", temperature=5.0, lam=0.5, distill_scale=25.0, loser_gt_weight=1.0)
    winners = [0, 2, 1]
    expected = torch.zeros(3)
    for m in range(3):
        for i in range(3):
            ce = _ce(LOGITS[m][i], LABELS[i])
            if m == winners[i]:
                expected[m] += ce / 3
            else:
                teacher = torch.softmax(LOGITS[winners[i]][i] / 5.0, 0)
                soft = -(teacher * torch.log_softmax(LOGITS[m][i] / 5.0, 0)).sum().item()
                expected[m] += (1.0 * ce + 0.5 * 25.0 * soft) / 3
    torch.testing.assert_close(ref.per_network, expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(ref.loss, expected.sum(), rtol=1e-6, atol=1e-6)
    soft = soft_cross_entropy(LOGITS[0], LOGITS[1], 5.0)
    by_hand = [-(torch.softmax(LOGITS[0][i] / 5, 0) * torch.log_softmax(LOGITS[1][i] / 5, 0)).sum() for i in range(3)]
    torch.testing.assert_close(soft, torch.stack(by_hand))


def test_unknown_strategy():
    with pytest.raises(ValueError, match="valid: dmcl, smcl"):
        mcl_loss(LOGITS, LABELS, "mcl")
    assert "independent" in STRATEGIES
