"""I2MD's GCN-Transformer encoder (Mao et al., I2MD, section 3.3.1 and 4.1.1).

Pipeline: the first three ST-GCN blocks (64 channels, stride 1) turn each frame into
64 features per joint and body; those are flattened per frame into one token of
``64 * V * M`` numbers (3200 for NTU: 64 x 25 joints x 2 bodies, the paper's
"3200-d per frame"), a linear layer maps it to 768, a learned temporal position
embedding is added, a 6-layer Transformer encoder (768 wide, 12 heads, FFN 3072)
mixes the T tokens, and the tokens are averaged over time into the 768-d hidden
embedding h.

Cross-attention (the cluster-level branch, CDB): with ``cross_attention=True`` every
layer gets an extra sub-block between self-attention and the FFN whose queries are the
tokens and whose keys/values are ``memory`` ``(N, K, 768)``, the hidden embeddings of
the K retrieved neighbours. Calling ``forward(x)`` without memory skips those sub-blocks,
so the same module (same weights) is the instance-level branch (IDB) and, with memory,
the CDB: the weight sharing of the paper.

Not specified by the paper (there is no public I2MD code) and chosen here: pre-norm
layers (LayerNorm before each sub-block, as ViT) with a final LayerNorm, GELU in the
FFN, no class token, flattening order bodies-joints-channels, truncated-normal
(std 0.02) position embedding, ST-GCN dropout 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from actionkit.layouts import Layout
from actionkit.models.stgcn import STGCN

__all__ = ["Attention", "TransformerLayer", "GCNTransformer", "gcn_transformer"]


class Attention(nn.Module):
    """Multi-head (self- or cross-) attention with scaled-dot-product kernels.

    Args:
        dim: Token width.
        num_heads: Number of heads; must divide ``dim``.
        dropout: Attention-weight and output dropout.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.dropout = dropout
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Attends from ``x`` to ``context`` (``x`` itself when None).

        Args:
            x: Queries ``(N, T, dim)``.
            context: Keys/values ``(N, K, dim)``.

        Returns:
            ``(N, T, dim)``.
        """
        context = x if context is None else context
        n, t, d = x.shape
        h = self.num_heads
        q = self.q(x).view(n, t, h, d // h).transpose(1, 2)
        k, v = self.kv(context).view(n, context.shape[1], 2, h, d // h).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj_drop(self.proj(y.transpose(1, 2).reshape(n, t, d)))


class TransformerLayer(nn.Module):
    """Pre-norm layer: self-attention, optional cross-attention, feed-forward.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        ffn_dim: Hidden width of the feed-forward block.
        dropout: Dropout in attention and feed-forward.
        cross_attention: Whether to build the cross-attention sub-block.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float = 0.0,
        cross_attention: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads, dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(
            nn.Linear(dim, ffn_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(ffn_dim, dim),
            nn.Dropout(dropout),
        )
        self.cross_attn: Attention | None = None
        self._heads, self._dropout = num_heads, dropout
        if cross_attention:
            self.add_cross_attention()

    def add_cross_attention(self) -> None:
        """Builds the cross-attention sub-block (its fresh weights draw from the global RNG)."""
        if self.cross_attn is not None:
            raise ValueError("this layer already has a cross-attention sub-block")
        dim = self.norm1.normalized_shape[0]
        self.norm_cross = nn.LayerNorm(dim)
        self.norm_memory = nn.LayerNorm(dim)
        self.cross_attn = Attention(dim, self._heads, self._dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        """Applies the layer.

        Args:
            x: Tokens ``(N, T, dim)``.
            memory: Cross-attention keys/values ``(N, K, dim)``; ignored when None.

        Returns:
            ``(N, T, dim)``.
        """
        x = x + self.attn(self.norm1(x))
        if memory is not None and self.cross_attn is not None:
            x = x + self.cross_attn(self.norm_cross(x), self.norm_memory(memory))
        return x + self.ffn(self.norm2(x))


class GCNTransformer(nn.Module):
    """I2MD's encoder: ``(N, C, T, V, M)`` (+ optional memory) to ``(N, out_dim)``.

    Args:
        layout: Skeleton layout (graph and V).
        in_channels: Coordinate channels C.
        max_bodies: Bodies M; the input must have exactly this many (the frame token
            concatenates them).
        gcn_channels: Widths of the ST-GCN blocks (three of 64 in I2MD), all stride 1.
        dim: Transformer width and ``out_dim`` (768).
        depth: Transformer layers (6).
        num_heads: Attention heads (12).
        ffn_dim: Feed-forward hidden width (3072).
        max_frames: Length of the learned position embedding; inputs may be shorter.
        dropout: Dropout in the Transformer.
        cross_attention: Build a cross-attention sub-block in every layer.
        truncate_center_distance: ST-GCN graph quirk (see :mod:`actionkit.models.graph`).
    """

    def __init__(
        self,
        layout: Layout,
        in_channels: int = 3,
        max_bodies: int = 2,
        gcn_channels: Sequence[int] = (64, 64, 64),
        dim: int = 768,
        depth: int = 6,
        num_heads: int = 12,
        ffn_dim: int = 3072,
        max_frames: int = 64,
        dropout: float = 0.0,
        cross_attention: bool = False,
        truncate_center_distance: bool = False,
    ) -> None:
        super().__init__()
        self.max_bodies = max_bodies
        self.max_frames = max_frames
        self.gcn = STGCN(
            layout,
            in_channels=in_channels,
            max_bodies=max_bodies,
            channels=tuple(gcn_channels),
            strides=(1,) * len(gcn_channels),
            truncate_center_distance=truncate_center_distance,
        )
        self.frame_dim = gcn_channels[-1] * layout.num_joints * max_bodies
        self.embed = nn.Linear(self.frame_dim, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, max_frames, dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.layers = nn.ModuleList(
            TransformerLayer(dim, num_heads, ffn_dim, dropout) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.cross_attention = False
        self.out_dim = dim
        if cross_attention:
            self.add_cross_attention()

    def add_cross_attention(self) -> None:
        """Builds the cross-attention sub-block of every layer.

        The sub-blocks draw their weights after everything else, so a model built without
        them and extended later starts from the same weights as one built with them, and
        its other weights equal those of a model that never has them.

        Raises:
            ValueError: If the model already has them.
        """
        if self.cross_attention:
            raise ValueError("the model already has cross-attention sub-blocks")
        for layer in self.layers:
            layer.add_cross_attention()
        self.cross_attention = True

    def embed_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Frame tokens before the Transformer: ST-GCN, flatten, linear, position embedding.

        Args:
            x: ``(N, C, T, V, M)`` with ``T <= max_frames`` and ``M = max_bodies``.

        Returns:
            ``(N, T, out_dim)``.

        Raises:
            ValueError: On a wrong number of bodies or too many frames.
        """
        n, _, t, _, m = x.shape
        if m != self.max_bodies:
            raise ValueError(f"expected M={self.max_bodies} bodies, got input {tuple(x.shape)}")
        if t > self.max_frames:
            raise ValueError(
                f"{t} frames exceed the position embedding's max_frames={self.max_frames}"
            )
        maps = self.gcn.forward_maps(x)  # (N, M, C, T, V)
        tokens = maps.permute(0, 3, 1, 4, 2).reshape(n, t, self.frame_dim)
        return self.embed(tokens) + self.pos_embed[:, :t]

    def encode_tokens(self, tokens: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        """The Transformer over frame tokens (from :meth:`embed_frames`).

        The instance- and cluster-level branches of I2MD share the tokens of a view:
        call this twice, without and with ``memory``, on one :meth:`embed_frames` output.

        Args:
            tokens: ``(N, T, out_dim)``.
            memory: ``(N, K, out_dim)`` keys/values for the cross-attention sub-blocks
                (requires ``cross_attention=True``), or None to skip them.

        Returns:
            ``(N, T, out_dim)``.

        Raises:
            ValueError: On memory given to a model built without cross-attention, or of
                the wrong shape.
        """
        n = tokens.shape[0]
        if memory is not None:
            if not self.cross_attention:
                raise ValueError("memory was given but the model has no cross-attention blocks")
            if memory.dim() != 3 or memory.shape[0] != n or memory.shape[2] != self.out_dim:
                raise ValueError(
                    f"memory must be (N={n}, K, {self.out_dim}), got {tuple(memory.shape)}"
                )
        y = tokens
        for layer in self.layers:
            y = layer(y, memory)
        return self.norm(y)

    def forward_frames(
        self, x: torch.Tensor, memory: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-frame tokens after the Transformer.

        Args:
            x: ``(N, C, T, V, M)`` with ``T <= max_frames`` and ``M = max_bodies``.
            memory: See :meth:`encode_tokens`.

        Returns:
            ``(N, T, out_dim)``.

        Raises:
            ValueError: See :meth:`embed_frames` and :meth:`encode_tokens`.
        """
        return self.encode_tokens(self.embed_frames(x), memory)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        """The hidden embedding h: tokens averaged over time.

        Args:
            x: ``(N, C, T, V, M)``.
            memory: See :meth:`forward_frames`.

        Returns:
            ``(N, out_dim)``.
        """
        return self.forward_frames(x, memory).mean(dim=1)


def gcn_transformer(
    layout: Layout, in_channels: int = 3, max_bodies: int = 2, **kwargs
) -> GCNTransformer:
    """I2MD's GCN-Transformer (768-d features); keyword arguments override the defaults."""
    return GCNTransformer(layout, in_channels=in_channels, max_bodies=max_bodies, **kwargs)
