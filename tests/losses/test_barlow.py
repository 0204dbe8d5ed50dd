"""Barlow Twins (ASMa eq. 5-9) against loops written from the equations, its minimum, and DDP."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from ranks import run_two_ranks

from actionkit.losses import asma_encoder_loss, barlow_twins, cross_correlation


def randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def slow_correlation(z1, z2, center):
    """Eq. 5 with explicit loops over the features i, j and the batch b."""
    batch, dim = len(z1), len(z1[0])
    a = [[float(z1[b][i]) for b in range(batch)] for i in range(dim)]
    c = [[float(z2[b][j]) for b in range(batch)] for j in range(dim)]
    if center:
        a = [[v - sum(col) / batch for v in col] for col in a]
        c = [[v - sum(col) / batch for v in col] for col in c]
    out = [[0.0] * dim for _ in range(dim)]
    for i in range(dim):
        for j in range(dim):
            num = sum(a[i][b] * c[j][b] for b in range(batch))
            out[i][j] = num / (math.sqrt(sum(v * v for v in a[i])) * math.sqrt(sum(v * v for v in c[j])))
    return out


def slow_barlow(z1, z2, lambd, center=True):
    """Eq. 6 with explicit loops."""
    c = slow_correlation(z1, z2, center)
    loss = 0.0
    for i in range(len(c)):
        for j in range(len(c)):
            loss += (1.0 - c[i][j]) ** 2 if i == j else lambd * c[i][j] ** 2
    return loss


def whitened(batch, dim, seed):
    """Features with zero mean and identity (biased) covariance over the batch."""
    x = randn(batch, dim, seed=seed)
    q, _ = torch.linalg.qr(x - x.mean(0))
    return q * math.sqrt(batch)


@pytest.mark.parametrize("center", [True, False])
def test_matches_the_equations(center):
    z1, z2 = randn(9, 5, seed=0) + 0.3, randn(9, 5, seed=1) - 0.2
    expected = torch.tensor(slow_correlation(z1, z2, center), dtype=z1.dtype)
    torch.testing.assert_close(cross_correlation(z1, z2, eps=0.0, center=center), expected)
    got = barlow_twins(z1, z2, lambd=0.1, eps=0.0, center=center).item()
    assert got == pytest.approx(slow_barlow(z1, z2, 0.1, center), rel=1e-12)
    # The default eps (BatchNorm's 1e-5 on the variance) moves it only slightly.
    assert barlow_twins(z1, z2, lambd=0.1, center=center).item() == pytest.approx(got, rel=1e-4)


def test_default_lambda_is_the_papers():
    z1, z2 = randn(8, 6, seed=2), randn(8, 6, seed=3)
    assert barlow_twins(z1, z2, eps=0.0).item() == pytest.approx(slow_barlow(z1, z2, 2e-4), rel=1e-12)


def test_known_minimum_and_a_permutation():
    z = whitened(16, 4, seed=4)
    assert barlow_twins(z, z.clone(), lambd=0.5).item() < 1e-8
    torch.testing.assert_close(cross_correlation(z, z, eps=0.0), torch.eye(4, dtype=z.dtype))
    # Features shifted cyclically: C is a permutation matrix with an empty diagonal,
    # so every on-diagonal term is 1 and D off-diagonal terms are 1.
    shifted = z.roll(1, dims=1)
    assert barlow_twins(z, shifted, lambd=0.5, eps=0.0).item() == pytest.approx(4 * (1 + 0.5), rel=1e-10)


def test_batch_normalisation_removes_per_feature_scale_and_shift():
    z1, z2 = randn(10, 3, seed=5), randn(10, 3, seed=6)
    scale, shift = torch.tensor([0.5, 3.0, 20.0], dtype=z1.dtype), torch.tensor([1.0, -4.0, 7.0], dtype=z1.dtype)
    base = barlow_twins(z1, z2, lambd=0.3, eps=0.0)
    torch.testing.assert_close(barlow_twins(z1 * scale + shift, z2 - shift, lambd=0.3, eps=0.0), base)
    # Without centring (eq. 5 as printed) the shift matters.
    assert not torch.allclose(barlow_twins(z1 + shift, z2, lambd=0.3, eps=0.0, center=False),
                              barlow_twins(z1, z2, lambd=0.3, eps=0.0, center=False))  # fmt: skip


def test_low_precision_inputs_are_computed_in_fp32_even_under_autocast():
    z1, z2 = randn(12, 8, seed=7).bfloat16(), randn(12, 8, seed=8).bfloat16()
    reference = barlow_twins(z1.float(), z2.float())
    got = barlow_twins(z1, z2)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, reference, rtol=1e-6, atol=0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        inside = asma_encoder_loss(z1, z2, z2)
    assert inside.dtype == torch.float32
    torch.testing.assert_close(inside, 2 * reference, rtol=1e-6, atol=0)


def test_encoder_loss_sums_both_masked_streams():
    anchor, joint, frame = randn(7, 5, seed=9), randn(7, 5, seed=10), randn(7, 5, seed=11)
    expected = slow_barlow(anchor, joint, 0.2) + slow_barlow(anchor, frame, 0.2)
    assert asma_encoder_loss(anchor, joint, frame, lambd=0.2, eps=0.0).item() == pytest.approx(expected, rel=1e-12)


def test_gradients_reach_both_views():
    z1, z2 = randn(6, 4, seed=12).requires_grad_(), randn(6, 4, seed=13).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: barlow_twins(a, b, lambd=0.3), (z1, z2))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="same shape"):
        barlow_twins(randn(4, 3, seed=0), randn(4, 2, seed=1))
    with pytest.raises(ValueError, match="same shape"):
        asma_encoder_loss(randn(4, 3, seed=0), randn(4, 3, seed=1), randn(5, 3, seed=2))
    with pytest.raises(ValueError, match="at least 2 samples"):
        barlow_twins(randn(1, 3, seed=0), randn(1, 3, seed=1))


DDP_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[2])
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from actionkit.losses import asma_encoder_loss, barlow_twins

dist.init_process_group("gloo")
rank = dist.get_rank()
data = torch.load(sys.argv[1] + "/inputs.pt")
rows = slice(0, 7) if rank == 0 else slice(7, 12)  # uneven shares of a 12-sample batch
projector = torch.nn.Linear(6, 5, dtype=torch.float64)
projector.load_state_dict(data["projector"])
model = DistributedDataParallel(projector)
views = model(torch.cat([v[rows] for v in data["views"]])).chunk(3)
loss = asma_encoder_loss(*views, lambd=0.05)
loss.backward()
own = [dist.new_group([0]), dist.new_group([1])]
alone = barlow_twins(data["views"][0][rows], data["views"][1][rows], lambd=0.05, process_group=own[rank])
torch.save({"loss": loss.detach(), "weight": projector.weight.grad, "bias": projector.bias.grad, "alone": alone},
           f"{sys.argv[1]}/rank{rank}.pt")
dist.barrier()
dist.destroy_process_group()
"""


def test_ddp_two_ranks_with_half_batches_equal_one_rank_with_the_full_batch(tmp_path):
    views = [randn(12, 6, seed=20 + i) for i in range(3)]
    torch.manual_seed(0)
    projector = torch.nn.Linear(6, 5, dtype=torch.float64)
    torch.save({"views": views, "projector": projector.state_dict()}, tmp_path / "inputs.pt")
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    run_two_ranks(script, str(tmp_path), str(Path(__file__).parents[2]))
    full = asma_encoder_loss(*projector(torch.cat(views)).chunk(3), lambd=0.05)
    full.backward()
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1)]
    for r, rows in zip(ranks, (slice(0, 7), slice(7, 12))):
        torch.testing.assert_close(r["loss"], full.detach(), rtol=1e-12, atol=0)
        # DDP's averaged gradient is the full-batch gradient.
        torch.testing.assert_close(r["weight"], projector.weight.grad, rtol=1e-10, atol=1e-14)
        torch.testing.assert_close(r["bias"], projector.bias.grad, rtol=1e-10, atol=1e-14)
        # An explicit one-rank group reduces over that rank's rows only.
        torch.testing.assert_close(r["alone"], barlow_twins(views[0][rows], views[1][rows], lambd=0.05))
