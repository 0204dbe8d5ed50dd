"""InfoNCE against a per-sample loop written from eq. 1."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from actionkit.losses import info_nce


def slow_info_nce(q, k, queue, tau):
    total = 0.0
    for b in range(len(q)):
        pos = math.exp(float(q[b] @ k[b]) / tau)
        neg = sum(math.exp(float(q[b] @ m) / tau) for m in queue)
        total += -math.log(pos / (pos + neg))
    return total / len(q)


def unit(*shape, seed):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64), dim=-1)


def test_matches_the_definition():
    q, k, queue = unit(5, 8, seed=0), unit(5, 8, seed=1), unit(12, 8, seed=2)
    assert info_nce(q, k, queue, 0.07).item() == pytest.approx(slow_info_nce(q, k, queue, 0.07), rel=1e-5)


def test_gradient_only_into_the_query():
    q = unit(4, 8, seed=0).requires_grad_()
    k = unit(4, 8, seed=1).requires_grad_()
    queue = unit(6, 8, seed=2).requires_grad_()
    info_nce(q, k, queue, 0.2).backward()
    assert q.grad is not None and k.grad is None and queue.grad is None


def test_a_perfect_key_beats_a_random_one():
    q, queue = unit(4, 16, seed=0), unit(32, 16, seed=2)
    assert info_nce(q, q, queue, 0.07) < info_nce(q, unit(4, 16, seed=9), queue, 0.07)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"\[B, D\]"):
        info_nce(unit(4, 8, seed=0), unit(4, 8, seed=1), unit(6, 7, seed=2), 0.1)
