"""Pseudo-label schemes (CMPL Table A1, FixMatch), the threshold mask and the stop-gradient, by hand."""

from __future__ import annotations

import pytest
import torch

from actionkit.losses.pseudo_label import (
    SCHEMES,
    masked_cross_entropy,
    pseudo_label_sources,
    pseudo_labels,
)

TAU = 0.9
# Three unlabelled clips, three classes. Clip 0: F confident (class 0), A not; clip 1: A
# confident (class 2), F not; clip 2: both confident, disagreeing (F class 1 at 0.95, A class 0 at 0.92).
P_F = torch.tensor([[0.95, 0.03, 0.02], [0.5, 0.3, 0.2], [0.02, 0.95, 0.03]])
P_A = torch.tensor([[0.4, 0.4, 0.2], [0.05, 0.05, 0.9], [0.92, 0.04, 0.04]])


def _targets(scheme):
    l_f, l_a = pseudo_label_sources(P_F, P_A, scheme, TAU)
    f, a = pseudo_labels(l_f, TAU), pseudo_labels(l_a, TAU)
    return (f.targets.tolist(), f.mask.tolist()), (a.targets.tolist(), a.mask.tolist())


def test_cross_assignment_takes_each_models_targets_from_the_other():
    (tf, mf), (ta, ma) = _targets("cross")
    assert (tf, mf) == ([0, 2, 0], [0.0, 1.0, 1.0])  # from A: clips 1 and 2 confident
    assert (ta, ma) == ([0, 0, 1], [1.0, 0.0, 1.0])  # from F: clips 0 and 2 confident


def test_fixmatch_uses_its_own():
    (tf, mf), (ta, ma) = _targets("fixmatch")
    assert (tf, mf) == ([0, 0, 1], [1.0, 0.0, 1.0])
    assert (ta, ma) == ([0, 2, 0], [0.0, 1.0, 1.0])
    l_f, l_a = pseudo_label_sources(P_F, None, "fixmatch", TAU)
    assert torch.equal(l_f, P_F) and l_a is None
    with pytest.raises(ValueError, match="needs the auxiliary"):
        pseudo_label_sources(P_F, None, "cross", TAU)


def test_table_a1_schemes_by_hand():
    # self-first: own when confident else the other's.
    assert _targets("self-first") == (([0, 2, 1], [1.0, 1.0, 1.0]), ([0, 2, 0], [1.0, 1.0, 1.0]))
    # opposite-first: the other's when confident else own (F on clip 0: A unsure, so its own 0.95).
    assert _targets("opposite-first") == (([0, 2, 0], [1.0, 1.0, 1.0]), ([0, 2, 1], [1.0, 1.0, 1.0]))
    # maximum: the more confident of the two, for both.
    assert _targets("maximum") == (([0, 2, 1], [1.0, 1.0, 1.0]),) * 2
    # average: (p_F + p_A) / 2 -> maxima 0.675, 0.55, 0.495: nothing passes 0.9.
    (tf, mf), (ta, ma) = _targets("average")
    assert tf == ta == [0, 2, 1] and mf == ma == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="valid: cross, fixmatch"):
        pseudo_label_sources(P_F, P_A, "mean-teacher", TAU)
    assert len(SCHEMES) == 6


def test_masked_loss_divides_by_all_clips_and_stops_gradients():
    source = P_A.clone().requires_grad_(True)
    labels = pseudo_labels(source, TAU)
    logits = torch.randn(3, 3, requires_grad=True)
    loss = masked_cross_entropy(logits, labels)
    ce = torch.nn.functional.cross_entropy(logits, labels.targets, reduction="none")
    assert loss.item() == pytest.approx(((ce * labels.mask).sum() / 3).item())
    loss.backward()
    assert source.grad is None and logits.grad[0].abs().sum() == 0  # clip 0 masked: no gradient
