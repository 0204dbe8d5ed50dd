"""ASMa's feature-alignment module: bi-directional cross-attention between two encoders (eq. 10-12).

The two pretrained encoders f_theta and f_phi give per-frame features ``h^theta`` and
``h^phi`` of shape ``(N, T, D)`` (for ST-GCN, :meth:`~actionkit.models.stgcn.STGCN.forward_frames`:
the last block's maps averaged over joints, then bodies). Two multi-head attention
blocks (4 heads in the paper, scaled dot-product attention, eq. 10) align them:

- f_theta attends to f_phi: ``Q = h^theta``, ``K = V = h^phi`` gives ``h^theta_aligned``;
- f_phi attends to f_theta: ``Q = h^phi``, ``K = V = h^theta`` gives ``h^phi_aligned``.

The two are summed (eq. 11), averaged over the frames, and a linear classifier maps the
result to logits (eq. 12). Each direction has its own attention weights (the paper
speaks of "the MHA blocks"); as in the paper there is no residual connection and no
normalisation around them. The module, classifier included, is trained with
cross-entropy on top of the (frozen or fine-tuned) encoders.
"""

from __future__ import annotations

import torch
from torch import nn

from actionkit.models.heads import LinearHead

__all__ = ["FeatureAlignment"]


class FeatureAlignment(nn.Module):
    """Bi-directional multi-head cross-attention, summed, pooled over time, then a linear classifier.

    Args:
        dim: Feature width D of both encoders (256 for ASMa's ST-GCN).
        num_classes: Number of action classes.
        num_heads: Attention heads per direction (4 in the paper); must divide ``dim``.
        dropout: Dropout on the attention weights.
        classifier_dropout: Dropout on the pooled features before the classifier.
    """

    def __init__(
        self,
        dim: int = 256,
        num_classes: int = 60,
        num_heads: int = 4,
        dropout: float = 0.0,
        classifier_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f"num_heads ({num_heads}) must divide dim ({dim})")
        self.dim = dim
        self.num_heads = num_heads
        self.theta_attends_phi = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.phi_attends_theta = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.head = LinearHead(dim, num_classes, dropout=classifier_dropout)
        self.out_dim = dim

    def _check(self, h_theta: torch.Tensor, h_phi: torch.Tensor) -> None:
        if h_theta.dim() != 3 or h_theta.shape != h_phi.shape or h_theta.shape[2] != self.dim:
            raise ValueError(f"expected two (N, T, {self.dim}) per-frame features of the same shape, got "
                             f"{tuple(h_theta.shape)} and {tuple(h_phi.shape)}")  # fmt: skip

    def attend(self, h_theta: torch.Tensor, h_phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two attention flows (eq. 10).

        Args:
            h_theta: ``(N, T, D)`` per-frame features of f_theta.
            h_phi: ``(N, T, D)`` per-frame features of f_phi.

        Returns:
            ``h^theta_aligned`` (queries from f_theta, keys and values from f_phi) and
            ``h^phi_aligned`` (queries from f_phi, keys and values from f_theta), each
            ``(N, T, D)``.
        """
        self._check(h_theta, h_phi)
        theta_aligned, _ = self.theta_attends_phi(h_theta, h_phi, h_phi, need_weights=False)
        phi_aligned, _ = self.phi_attends_theta(h_phi, h_theta, h_theta, need_weights=False)
        return theta_aligned, phi_aligned

    def fuse(self, h_theta: torch.Tensor, h_phi: torch.Tensor) -> torch.Tensor:
        """The aligned representation (eq. 11), averaged over the frames.

        Args:
            h_theta: ``(N, T, D)`` per-frame features of f_theta.
            h_phi: ``(N, T, D)`` per-frame features of f_phi.

        Returns:
            ``(N, D)`` features, the classifier's input.
        """
        theta_aligned, phi_aligned = self.attend(h_theta, h_phi)
        return (theta_aligned + phi_aligned).mean(dim=1)

    def forward(self, h_theta: torch.Tensor, h_phi: torch.Tensor) -> torch.Tensor:
        """Class logits from the two encoders' per-frame features (eq. 10-12).

        Args:
            h_theta: ``(N, T, D)`` per-frame features of f_theta.
            h_phi: ``(N, T, D)`` per-frame features of f_phi.

        Returns:
            ``(N, num_classes)`` logits.
        """
        return self.head(self.fuse(h_theta, h_phi))
