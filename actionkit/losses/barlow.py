"""Barlow Twins' redundancy-reduction loss (Zbontar et al., 2021) as ASMa uses it (eq. 5-9).

For two batches of projected embeddings ``z, z'`` of shape ``[B, D]``, every feature is
standardised over the batch (the affine-free BatchNorm of the reference
implementations: mean-centred, divided by the biased standard deviation), and the
cross-correlation matrix is ``C = z_n^T z'_n / B`` (eq. 5: the cosine, along the batch,
between feature ``i`` of ``z`` and feature ``j`` of ``z'``, on mean-centred features).
The loss (eq. 6-7) pulls the diagonal to 1 and the off-diagonal to 0::

    L = sum_i (1 - C_ii)^2 + lambda * sum_{i != j} C_ij^2

ASMa sums it over the anchor/joint-masked pair and the anchor/frame-masked pair of one
encoder (eq. 8, :func:`asma_encoder_loss`) and over its two encoders (eq. 9). The paper
sets ``lambda = 2e-4`` (section 4, 6144-d projections).

Several processes (DDP): the batch is the global one. The per-feature sums behind the
mean and the standard deviation, and the cross-correlation sum, are all-reduced over the
process group, so every rank computes the loss of the full batch. The reduction is
differentiable: its backward all-reduces the incoming gradients, so a rank's gradient
is ``world_size`` times its share of the full-batch gradient, and DDP's gradient
averaging then yields exactly the gradient of the single-process full-batch loss.

Everything is computed in at least float32, with autocast disabled: in bf16 the
``D x D`` products over the batch lose the precision the loss needs.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from actionkit.losses.contrastive import at_least_fp32

__all__ = ["asma_encoder_loss", "barlow_twins", "cross_correlation"]


class _AllReduceSum(torch.autograd.Function):
    """Sum over the processes of a group; the backward pass sums the gradients likewise."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor, group: dist.ProcessGroup) -> torch.Tensor:  # type: ignore[override]
        ctx.group = group
        total = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total, group=group)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        total = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(total, group=ctx.group)
        return total, None


def _resolve_group(process_group: dist.ProcessGroup | None) -> dist.ProcessGroup | None:
    """The group to reduce over: the one given, else the default one when there are several processes."""
    if process_group is not None:
        return process_group
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist.group.WORLD
    return None


def _global_sum(x: torch.Tensor, group: dist.ProcessGroup | None) -> torch.Tensor:
    return x if group is None else _AllReduceSum.apply(x, group)


def _check_pair(z1: torch.Tensor, z2: torch.Tensor) -> None:
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise ValueError(f"expected two [B, D] embeddings of the same shape, got {tuple(z1.shape)} and "
                         f"{tuple(z2.shape)}")  # fmt: skip


def _standardise(
    z: torch.Tensor, eps: float, center: bool, group: dist.ProcessGroup | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardises every feature over the (global) batch.

    Args:
        z: ``[B_local, D]`` embeddings, at least float32.
        eps: Added to the variance (BatchNorm's ``eps``).
        center: Subtract the batch mean first (False: divide by the root mean square).
        group: Process group to reduce over, or None for this process only.

    Returns:
        ``[B_local, D]`` standardised features and the global batch size (a 0-d tensor).
    """
    if group is None and z.shape[0] < 2:
        raise ValueError(f"the batch must hold at least 2 samples to standardise features, got {z.shape[0]}")
    count = z.new_full((1,), float(z.shape[0]))
    if center:
        totals = _global_sum(torch.cat([z.sum(dim=0), count]), group)
        batch = totals[-1]
        z = z - totals[:-1] / batch
    else:
        batch = _global_sum(count, group)[0]
    variance = _global_sum(z.pow(2).sum(dim=0), group) / batch
    return z * torch.rsqrt(variance + eps), batch


def _correlate(
    n1: torch.Tensor, n2: torch.Tensor, batch: torch.Tensor, group: dist.ProcessGroup | None
) -> torch.Tensor:
    """``[D, D]`` cross-correlation of standardised features summed over the global batch."""
    return _global_sum(n1.t() @ n2, group) / batch


def _redundancy_reduction(c: torch.Tensor, lambd: float) -> torch.Tensor:
    """Eq. 6-7 from the cross-correlation matrix ``c`` of shape ``[D, D]``."""
    diagonal = c.diagonal()
    on_diagonal = (1.0 - diagonal).pow(2).sum()
    off_diagonal = c.pow(2).sum() - diagonal.pow(2).sum()
    return on_diagonal + lambd * off_diagonal


def _wide(*zs: torch.Tensor) -> list[torch.Tensor]:
    """The embeddings in one common dtype of at least float32."""
    dtype = at_least_fp32(zs[0]).dtype
    for z in zs[1:]:
        dtype = torch.promote_types(dtype, z.dtype)
    return [z.to(dtype) for z in zs]


def cross_correlation(
    z1: torch.Tensor,
    z2: torch.Tensor,
    eps: float = 1e-5,
    center: bool = True,
    process_group: dist.ProcessGroup | None = None,
) -> torch.Tensor:
    """The cross-correlation matrix of eq. 5, over the global batch.

    Args:
        z1: ``[B, D]`` embeddings of one view (this rank's share of the batch under DDP).
        z2: ``[B, D]`` embeddings of the other view, row ``b`` from the same sample as in ``z1``.
        eps: Added to each feature's variance before dividing by its square root, as the
            reference's ``BatchNorm1d(affine=False)`` does; 0 gives eq. 5 exactly.
        center: Mean-centre the features over the batch (Barlow Twins' batch
            normalisation). False computes eq. 5 on the raw embeddings, as printed.
        process_group: Group whose ranks share the batch; by default the default group
            when ``torch.distributed`` is initialised with several processes, else none.

    Returns:
        ``[D, D]`` matrix ``C`` in at least float32; ``C[i, j]`` correlates feature ``i``
        of ``z1`` with feature ``j`` of ``z2``. Identical on every rank.
    """
    _check_pair(z1, z2)
    group = _resolve_group(process_group)
    with torch.autocast(device_type=z1.device.type, enabled=False):
        z1, z2 = _wide(z1, z2)
        n1, batch = _standardise(z1, eps, center, group)
        n2, _ = _standardise(z2, eps, center, group)
        return _correlate(n1, n2, batch, group)


def barlow_twins(
    z1: torch.Tensor,
    z2: torch.Tensor,
    lambd: float = 2e-4,
    eps: float = 1e-5,
    center: bool = True,
    process_group: dist.ProcessGroup | None = None,
) -> torch.Tensor:
    """Barlow Twins loss between two views (eq. 6 or 7).

    ``sum_i (1 - C_ii)^2 + lambd * sum_{i != j} C_ij^2`` with ``C`` from
    :func:`cross_correlation`: summed over the features, not averaged.

    Args:
        z1: ``[B, D]`` projected embeddings of one view (this rank's share under DDP).
        z2: ``[B, D]`` projected embeddings of the other view.
        lambd: Weight of the off-diagonal (redundancy) term; ASMa: 2e-4.
        eps: See :func:`cross_correlation`.
        center: See :func:`cross_correlation`.
        process_group: See :func:`cross_correlation`.

    Returns:
        Scalar loss in at least float32, the same on every rank.
    """
    return _redundancy_reduction(cross_correlation(z1, z2, eps, center, process_group), lambd)


def asma_encoder_loss(
    anchor: torch.Tensor,
    joint_masked: torch.Tensor,
    frame_masked: torch.Tensor,
    lambd: float = 2e-4,
    eps: float = 1e-5,
    center: bool = True,
    process_group: dist.ProcessGroup | None = None,
) -> torch.Tensor:
    """One encoder's pretraining loss ``L_1^k + L_2^k`` (eq. 6-8).

    The anchor is standardised once and correlated with both masked streams. Eq. 9 is the
    sum of this loss over the two encoders f_theta and f_phi.

    Args:
        anchor: ``[B, D]`` projection ``Z^k`` of the unmasked stream.
        joint_masked: ``[B, D]`` projection ``Z_j^k`` of the joint-masked (spatial) stream.
        frame_masked: ``[B, D]`` projection ``Z_m^k`` of the frame-masked (temporal) stream.
        lambd: Off-diagonal weight (ASMa: 2e-4).
        eps: See :func:`cross_correlation`.
        center: See :func:`cross_correlation`.
        process_group: See :func:`cross_correlation`.

    Returns:
        Scalar loss in at least float32.
    """
    _check_pair(anchor, joint_masked)
    _check_pair(anchor, frame_masked)
    group = _resolve_group(process_group)
    with torch.autocast(device_type=anchor.device.type, enabled=False):
        anchor, joint_masked, frame_masked = _wide(anchor, joint_masked, frame_masked)
        n_anchor, batch = _standardise(anchor, eps, center, group)
        n_joint, _ = _standardise(joint_masked, eps, center, group)
        n_frame, _ = _standardise(frame_masked, eps, center, group)
        spatial = _redundancy_reduction(_correlate(n_anchor, n_joint, batch, group), lambd)
        temporal = _redundancy_reduction(_correlate(n_anchor, n_frame, batch, group), lambd)
    return spatial + temporal
