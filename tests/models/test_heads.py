"""Classifier and projector heads, and the profiling helpers on them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actionkit.models import LinearHead, MLPProjector, count_flops, count_parameters


def test_linear_head():
    head = LinearHead(256, 60, dropout=0.5)
    assert head(torch.randn(4, 256)).shape == (4, 60)
    assert count_parameters(head) == 256 * 60 + 60


def test_moco_projector_two_layers_with_bias_no_bn():
    head = MLPProjector(2048, 2048, 128, layers=2, bn=False)
    kinds = [type(m) for m in head.net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear]
    assert all(m.bias is not None for m in head.net if isinstance(m, nn.Linear))
    assert head(torch.randn(3, 2048)).shape == (3, 128)


def test_barlow_twins_projector():
    head = MLPProjector(256, 6144, 6144, layers=3)
    kinds = [type(m) for m in head.net]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU] * 2 + [nn.Linear]
    assert all(m.bias is None for m in head.net if isinstance(m, nn.Linear))
    expected = 256 * 6144 + 2 * 6144 * 6144 + 2 * 2 * 6144
    assert count_parameters(head) == expected
    small = MLPProjector(8, 16, 4, layers=3, last_bn=True)
    assert isinstance(small.net[-1], nn.BatchNorm1d) and not small.net[-1].affine
    assert small(torch.randn(5, 8)).shape == (5, 4)


def test_projector_bias_override_and_bad_layers():
    head = MLPProjector(8, 8, 8, layers=2, bn=True, bias=True)
    assert all(m.bias is not None for m in head.net if isinstance(m, nn.Linear))
    with pytest.raises(ValueError):
        MLPProjector(8, 8, 8, layers=0)


def test_count_flops_of_a_linear_layer():
    # 2 FLOPs per multiply-add, per sample, whatever the batch given.
    layer = nn.Linear(10, 5)
    assert count_flops(layer, (4, 3, 7, 2, 10)) == 2 * 10 * 5 * 3 * 7 * 2
    assert count_parameters(layer, trainable_only=True) == 55
    layer.weight.requires_grad_(False)
    assert count_parameters(layer, trainable_only=True) == 5
