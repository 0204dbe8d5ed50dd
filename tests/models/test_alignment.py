"""ASMa's feature alignment (eq. 10-12): shapes, who attends to whom, eq. 10 by hand, gradients."""

from __future__ import annotations

import math

import pytest
import torch

from actionkit.layouts import NTU25
from actionkit.models import FeatureAlignment, build_backbone, count_parameters

N, T, D = 3, 5, 8


def features(seed, shape=(N, T, D)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def module(num_classes=7, seed=0):
    torch.manual_seed(seed)
    return FeatureAlignment(D, num_classes, num_heads=4).eval()


def test_shapes_and_parameters():
    align = module()
    h_theta, h_phi = features(0), features(1)
    theta_aligned, phi_aligned = align.attend(h_theta, h_phi)
    assert theta_aligned.shape == phi_aligned.shape == (N, T, D)
    assert align.fuse(h_theta, h_phi).shape == (N, D)
    assert align(h_theta, h_phi).shape == (N, 7)
    # Two attention blocks (Q, K, V and output projections with biases) and the classifier.
    assert count_parameters(align) == 2 * (4 * D * D + 4 * D) + D * 7 + 7
    assert count_parameters(FeatureAlignment()) == 2 * 263_168 + 256 * 60 + 60  # paper sizes: D 256, 4 heads


def test_fused_features_are_the_time_mean_of_both_flows_summed():
    align = module()
    h_theta, h_phi = features(2), features(3)
    with torch.no_grad():
        theta_aligned, phi_aligned = align.attend(h_theta, h_phi)
        fused = align.fuse(h_theta, h_phi)
        torch.testing.assert_close(fused, (theta_aligned + phi_aligned).mean(1))
        torch.testing.assert_close(align(h_theta, h_phi), align.head(fused))


def test_each_direction_takes_keys_and_values_from_the_other_encoder():
    align = module()
    h_theta, other_theta = features(4), features(5)
    # f_phi's features the same at every frame: whatever f_theta queries, it reads the same value.
    constant_phi = features(6, (N, 1, D)).expand(N, T, D)
    with torch.no_grad():
        a_theta, a_phi = align.attend(h_theta, constant_phi)
        b_theta, b_phi = align.attend(other_theta, constant_phi)
    torch.testing.assert_close(a_theta, b_theta)
    torch.testing.assert_close(a_theta, a_theta[:, :1].expand(N, T, D))
    assert not torch.allclose(a_phi, b_phi)  # f_phi's flow reads f_theta's changed values
    # And symmetrically.
    constant_theta = features(7, (N, 1, D)).expand(N, T, D)
    with torch.no_grad():
        c_theta, c_phi = align.attend(constant_theta, features(8))
        d_theta, d_phi = align.attend(constant_theta, features(9))
    torch.testing.assert_close(c_phi, d_phi)
    assert not torch.allclose(c_theta, d_theta)


def manual_attention(mha, query, context, heads):
    """Eq. 10 with explicit per-head projections: softmax(Q K^T / sqrt(d_k)) V, heads concatenated."""
    w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
    b_q, b_k, b_v = mha.in_proj_bias.chunk(3)
    q, k, v = query @ w_q.t() + b_q, context @ w_k.t() + b_k, context @ w_v.t() + b_v
    d_k = q.shape[-1] // heads
    outputs = []
    for h in range(heads):
        part = slice(h * d_k, (h + 1) * d_k)
        scores = q[..., part] @ k[..., part].transpose(1, 2) / math.sqrt(d_k)
        outputs.append(scores.softmax(dim=-1) @ v[..., part])
    return mha.out_proj(torch.cat(outputs, dim=-1))


def test_flows_match_scaled_dot_product_attention_with_four_heads():
    align = module()
    h_theta, h_phi = features(10), features(11)
    with torch.no_grad():
        theta_aligned, phi_aligned = align.attend(h_theta, h_phi)
        torch.testing.assert_close(theta_aligned, manual_attention(align.theta_attends_phi, h_theta, h_phi, 4))
        torch.testing.assert_close(phi_aligned, manual_attention(align.phi_attends_theta, h_phi, h_theta, 4))


def test_gradients_reach_every_parameter_and_both_encoders():
    torch.manual_seed(1)
    encoders = [build_backbone("stgcn16", NTU25, channels=(4, 4, D), strides=(1, 2, 1)) for _ in range(2)]
    align = FeatureAlignment(D, 5, num_heads=4)
    x = torch.randn(2, 3, 10, 25, 2)
    logits = align(encoders[0].forward_frames(x), encoders[1].forward_frames(x))
    assert logits.shape == (2, 5)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 3])).backward()
    for model in (align, *encoders):
        for name, p in model.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, f"{name} got no gradient"


def test_errors_name_the_problem():
    align = module()
    with pytest.raises(ValueError, match="same shape"):
        align(features(0), features(1, (N, T + 1, D)))
    with pytest.raises(ValueError, match=f"\\(N, T, {D}\\)"):
        align(features(0, (N, T, D + 1)), features(1, (N, T, D + 1)))
    with pytest.raises(ValueError, match="must divide"):
        FeatureAlignment(10, 3, num_heads=4)
