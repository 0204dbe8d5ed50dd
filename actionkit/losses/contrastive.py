"""InfoNCE against a queue of negatives (MoCo v2; I2MD eq. 1 and 7).

Losses are pure functions of tensors; the queues themselves live in the method.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["at_least_fp32", "info_nce", "queue_logits"]


def at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32, or kept as is when wider (bf16 autocast logits become fp32)."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


def queue_logits(query: torch.Tensor, queue: torch.Tensor) -> torch.Tensor:
    """Similarities of each query to every queue entry.

    Args:
        query: ``[B, D]`` (L2-normalised) embeddings.
        queue: ``[N, D]`` (L2-normalised) memory entries; no gradient flows into it.

    Returns:
        ``[B, N]`` dot products. This ``B x N`` matrix is the largest tensor the
        queue-based losses build: nothing of size ``B x N x D`` is ever made.
    """
    return query @ queue.detach().t()


def info_nce(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor, tau: float) -> torch.Tensor:
    """MoCo's InfoNCE: the key is the positive, the queue holds the negatives.

    ``-log exp(q.k / tau) / (exp(q.k / tau) + sum_i exp(q.m_i / tau))``, averaged over the
    batch (I2MD eq. 1; eq. 7 with the cluster-level embeddings).

    Args:
        query: ``[B, D]`` L2-normalised query embeddings.
        key: ``[B, D]`` L2-normalised key embeddings (treated as constants).
        queue: ``[N, D]`` L2-normalised negatives.
        tau: Temperature ``tau_c``.

    Returns:
        Scalar loss.
    """
    if query.shape != key.shape or query.dim() != 2 or queue.dim() != 2 or queue.shape[1] != query.shape[1]:
        raise ValueError(f"expected query/key [B, D] and queue [N, D], got {tuple(query.shape)}, "
                         f"{tuple(key.shape)}, {tuple(queue.shape)}")  # fmt: skip
    positive = (query * key.detach()).sum(dim=1, keepdim=True)
    logits = at_least_fp32(torch.cat([positive, queue_logits(query, queue)], dim=1)) / tau
    return F.cross_entropy(logits, torch.zeros(len(query), dtype=torch.long, device=query.device))
