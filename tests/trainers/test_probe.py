"""Classifiers on frozen features: the feature-alignment probe learns from two per-frame feature sets."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actionkit.trainers.evaluation import extract_features
from actionkit.trainers.method import LinearProtocol
from actionkit.trainers.probe import linear_probe_logits, train_alignment


def _features(n: int, seed: int, informative: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two ``(n, 4, 8)`` feature sets and labels in 3 classes; only ``informative``'s set encodes the class."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    theta, phi = torch.randn(n, 4, 8, generator=g), torch.randn(n, 4, 8, generator=g)
    signal = theta if informative == "theta" else phi
    signal[torch.arange(n), :, labels] += 4.0
    return theta, phi, labels


@pytest.mark.parametrize("informative", ["theta", "phi"])
def test_the_probe_reads_the_class_from_either_encoder(informative):
    train, test = _features(96, 0, informative), _features(48, 1, informative)
    protocol = LinearProtocol(epochs=60, lr=1e-2, optimizer="adam", milestones=())
    result, module = train_alignment(train, test, 3, protocol, batch_size=32)
    assert not module.training
    assert result["top1"] > 0.9 and result["train_top1"] > 0.9
    chance, _ = train_alignment(train, test, 3, protocol, epochs=0, batch_size=32)
    assert chance["top1"] < 0.7  # untrained: the figure above comes from training


def test_standardized_probe_reads_tiny_features():
    theta, phi, labels = _features(96, 0, "theta")
    test = _features(48, 1, "theta")
    scale = 1e-4  # an untrained encoder's features: the class is there, at a scale Adam 1e-3 cannot reach
    train, test = (theta * scale, phi * scale, labels), (test[0] * scale, test[1] * scale, test[2])
    protocol = LinearProtocol(epochs=40, lr=1e-2, optimizer="adam", milestones=())
    plain, _ = train_alignment(train, test, 3, protocol, batch_size=32)
    scaled, _ = train_alignment(train, test, 3, protocol, batch_size=32, standardize=True)
    assert scaled["top1"] > 0.9 and scaled["top1"] > plain["top1"]


def test_the_linear_probe_depends_on_its_seed_not_on_what_the_caller_drew_before():
    """The protocol's result is reproducible from its inputs (before, the classifier took the global RNG's state)."""
    (x, _, y), (vx, _, vy) = (_features(48, s, "theta") for s in (0, 1))
    x, vx = x.flatten(1), vx.flatten(1)
    runs = []
    for drawn in (0, 5):
        torch.rand(drawn)  # what a caller drew before (data loaders, another protocol)
        runs.append(linear_probe_logits(x, y, vx, vy, 3, epochs=2, lr=0.01, seed=7)[1])
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=0)
    assert not torch.allclose(runs[0], linear_probe_logits(x, y, vx, vy, 3, epochs=2, lr=0.01, seed=8)[1])


def test_bad_inputs_say_what_is_wrong():
    theta, phi, labels = _features(8, 0, "theta")
    protocol = LinearProtocol(epochs=1, lr=1e-3, optimizer="adam", milestones=())
    with pytest.raises(ValueError, match="two \\(N, T', D\\) feature tensors"):
        train_alignment((theta, phi[:, :2], labels), (theta, phi, labels), 3, protocol)
    with pytest.raises(ValueError, match="valid: sgd, adam"):
        train_alignment((theta, phi, labels), (theta, phi, labels), 3, LinearProtocol(optimizer="lbfgs"))
    with pytest.raises(ValueError, match="no per-frame features"):
        extract_features(nn.Linear(3, 3), [], torch.device("cpu"), per_frame=True)
