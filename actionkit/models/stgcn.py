"""ST-GCN (Yan et al., AAAI 2018) as a feature extractor, the PSTL/ASMa 16-channel variant and ASMa's student.

The network: a data BatchNorm over the flattened joint coordinates, then a stack of
blocks, each a spatial graph convolution (one 1x1 convolution per partition subset of
:func:`~actionkit.models.graph.spatial_partition`, aggregated over the graph with a
learnable per-block edge-importance mask) followed by a temporal convolution (kernel 9,
optional stride 2), with a residual connection. Features are averaged over frames and
joints, then over bodies (multi-body pooling).

Presets (blocks as ``width`` or ``width s stride``):

- ``stgcn``: 64, 64, 64, 64, 128s2, 128, 128, 256s2, 256, 256 (Yan et al.'s network).
- ``stgcn16``: 16, 16, 16, 16, 32s2, 32, 32, 64s2, 64, 256, PSTL's ``Model`` with
  ``hidden_channels=16, hidden_dim=256`` (YujieOuO/PSTL ``module/gcn/st_gcn.py``), which
  ASMa builds on: the last block jumps from 64 to 256 channels.
- ``stgcn5``: 16, 16, 16, 16, 128s2, ASMa-Distill's student (5 ST-GCN layers, spatial
  kernel 3, temporal kernel 9; the paper gives no widths). It is ``stgcn16``'s first
  five blocks with the fifth widened to 128, the student's feature width in the
  paper's Appendix C. With a 60-class head it has 186,497 parameters per stream,
  0.56M for three streams against the paper's 0.54M.

Both references: the first block has no residual and no dropout; the other blocks use
dropout 0.5 after the temporal convolution's BatchNorm; edge importance is on; the data
BatchNorm normalises the ``V*C`` coordinates with statistics shared by the bodies
(``data_bn="vc"``). ``data_bn="mvc"`` gives every body its own statistics (the
2s-AGCN/CTR-GCN form); it then requires exactly ``max_bodies`` bodies.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from actionkit.layouts import Layout
from actionkit.models.graph import spatial_partition

__all__ = ["STGCN", "STGCNBlock", "SpatialGraphConv", "STGCN_PRESETS", "stgcn", "stgcn16", "stgcn5"]

STGCN_PRESETS: dict[str, dict[str, tuple[int, ...]]] = {
    "stgcn": {
        "channels": (64, 64, 64, 64, 128, 128, 128, 256, 256, 256),
        "strides": (1, 1, 1, 1, 2, 1, 1, 2, 1, 1),
    },
    "stgcn16": {
        "channels": (16, 16, 16, 16, 32, 32, 32, 64, 64, 256),
        "strides": (1, 1, 1, 1, 2, 1, 1, 2, 1, 1),
    },
    "stgcn5": {
        "channels": (16, 16, 16, 16, 128),
        "strides": (1, 1, 1, 1, 2),
    },
}
"""Block widths and temporal strides of the two standard networks and ASMa's student."""


class SpatialGraphConv(nn.Module):
    """Graph convolution with one 1x1 convolution per partition subset.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        num_subsets: K, the number of partition subsets.
    """

    def __init__(self, in_channels: int, out_channels: int, num_subsets: int) -> None:
        super().__init__()
        self.num_subsets = num_subsets
        self.conv = nn.Conv2d(in_channels, out_channels * num_subsets, kernel_size=1)

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """Aggregates features over the graph.

        Args:
            x: ``(N, C_in, T, V)``.
            adjacency: ``(K, V, V)``; entry ``[k, v, w]`` weighs joint ``v`` into ``w``.

        Returns:
            ``(N, C_out, T, V)``.
        """
        y = self.conv(x)
        n, kc, t, v = y.shape
        y = y.view(n, self.num_subsets, kc // self.num_subsets, t, v)
        return torch.einsum("nkctv,kvw->nctw", y, adjacency).contiguous()


class STGCNBlock(nn.Module):
    """One ST-GCN block: graph conv -> BN-ReLU-temporal conv-BN-dropout, + residual, ReLU.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        num_subsets: K, the number of partition subsets.
        temporal_kernel: Odd temporal kernel size (9 in ST-GCN).
        stride: Temporal stride.
        dropout: Dropout probability after the temporal convolution.
        residual: Whether to add a residual (identity, or a strided 1x1 conv + BN when
            the shape changes).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_subsets: int,
        temporal_kernel: int = 9,
        stride: int = 1,
        dropout: float = 0.0,
        residual: bool = True,
    ) -> None:
        super().__init__()
        if temporal_kernel % 2 != 1:
            raise ValueError(f"temporal_kernel must be odd, got {temporal_kernel}")
        self.gcn = SpatialGraphConv(in_channels, out_channels, num_subsets)
        self.tcn = nn.Sequential(
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                out_channels,
                out_channels,
                kernel_size=(temporal_kernel, 1),
                stride=(stride, 1),
                padding=((temporal_kernel - 1) // 2, 0),
            ),
            nn.BatchNorm2d(out_channels),
            nn.Dropout(dropout),
        )
        self.has_residual = residual
        if residual and (in_channels != out_channels or stride != 1):
            self.residual: nn.Module = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=(stride, 1)),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.residual = nn.Identity()

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """Applies the block.

        Args:
            x: ``(N, C_in, T, V)``.
            adjacency: ``(K, V, V)``, already multiplied by the edge importance.

        Returns:
            ``(N, C_out, ceil(T / stride), V)``.
        """
        y = self.tcn(self.gcn(x, adjacency))
        if self.has_residual:
            y = y + self.residual(x)
        return F.relu(y)


class STGCN(nn.Module):
    """ST-GCN backbone: ``(N, C, T, V, M)`` skeletons to ``(N, out_dim)`` features.

    Args:
        layout: Skeleton layout (graph and number of joints V).
        in_channels: Coordinate channels C.
        max_bodies: Bodies M per sample (only ``data_bn="mvc"`` depends on it).
        channels: Output width of every block; ``out_dim = channels[-1]``.
        strides: Temporal stride of every block (same length as ``channels``).
        temporal_kernel: Temporal kernel size.
        dropout: Dropout in every block but the first (0.5 in both references).
        edge_importance: Learnable per-block mask multiplied into the adjacency.
        data_bn: ``"vc"`` (statistics shared by bodies, as the references),
            ``"mvc"`` (per body) or ``"none"``.
        truncate_center_distance: Use the reference graph quirk (see
            :mod:`actionkit.models.graph`).
    """

    def __init__(
        self,
        layout: Layout,
        in_channels: int = 3,
        max_bodies: int = 2,
        channels: Sequence[int] = STGCN_PRESETS["stgcn"]["channels"],
        strides: Sequence[int] = STGCN_PRESETS["stgcn"]["strides"],
        temporal_kernel: int = 9,
        dropout: float = 0.0,
        edge_importance: bool = True,
        data_bn: str = "vc",
        truncate_center_distance: bool = False,
    ) -> None:
        super().__init__()
        if len(channels) != len(strides) or not channels:
            raise ValueError(
                f"channels and strides must be non-empty and of equal length, got "
                f"{len(channels)} and {len(strides)}"
            )
        if data_bn not in ("vc", "mvc", "none"):
            raise ValueError(f"data_bn must be 'vc', 'mvc' or 'none', got {data_bn!r}")
        adjacency = torch.from_numpy(
            spatial_partition(layout, truncate_center_distance=truncate_center_distance)
        )
        # Derived from the constructor's arguments, so not saved in checkpoints.
        self.register_buffer("A", adjacency, persistent=False)
        self.in_channels = in_channels
        self.num_joints = layout.num_joints
        self.max_bodies = max_bodies
        self.data_bn_mode = data_bn
        bn_size = in_channels * layout.num_joints * (max_bodies if data_bn == "mvc" else 1)
        self.data_bn = nn.BatchNorm1d(bn_size) if data_bn != "none" else nn.Identity()
        k = adjacency.shape[0]
        widths = [in_channels, *channels]
        self.blocks = nn.ModuleList(
            STGCNBlock(
                widths[i],
                widths[i + 1],
                k,
                temporal_kernel=temporal_kernel,
                stride=strides[i],
                dropout=0.0 if i == 0 else dropout,
                residual=i > 0,
            )
            for i in range(len(channels))
        )
        self.edge_importance: nn.ParameterList | None = None
        if edge_importance:
            self.edge_importance = nn.ParameterList(
                nn.Parameter(torch.ones_like(adjacency)) for _ in channels
            )
        self.out_dim = int(channels[-1])

    def forward_maps(
        self, x: torch.Tensor, joints: Sequence[int] | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Runs the blocks and returns the last feature maps, bodies kept apart.

        Args:
            x: ``(N, C, T, V, M)``.
            joints: Optional subset of joints to keep (PSTL-style masking that removes
                joints, and their edges, from the graph after the data BatchNorm); the
                same subset for the whole batch.

        Returns:
            ``(N, M, D, T', V')`` with ``T' = T`` divided (rounding up) by the strides.
        """
        n, c, t, v, m = x.shape
        if c != self.in_channels or v != self.num_joints:
            raise ValueError(
                f"expected (N, {self.in_channels}, T, {self.num_joints}, M) input, got "
                f"{tuple(x.shape)}"
            )
        if self.data_bn_mode == "mvc":
            if m != self.max_bodies:
                raise ValueError(f"data_bn='mvc' needs M={self.max_bodies} bodies, got {m}")
            y = self.data_bn(x.permute(0, 4, 3, 1, 2).reshape(n, m * v * c, t))
        else:
            y = self.data_bn(x.permute(0, 4, 3, 1, 2).reshape(n * m, v * c, t))
        y = y.view(n, m, v, c, t).permute(0, 1, 3, 4, 2).reshape(n * m, c, t, v)
        adjacency = self.A
        if joints is not None:
            index = torch.as_tensor(joints, dtype=torch.long, device=y.device)
            y = y.index_select(3, index)
        for i, block in enumerate(self.blocks):
            a = adjacency if self.edge_importance is None else adjacency * self.edge_importance[i]
            if joints is not None:
                a = a.index_select(1, index).index_select(2, index)
            y = block(y, a)
        return y.view(n, m, *y.shape[1:])

    def forward_frames(
        self, x: torch.Tensor, joints: Sequence[int] | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-frame features, pooled over joints then bodies.

        Args:
            x: ``(N, C, T, V, M)``.
            joints: See :meth:`forward_maps`.

        Returns:
            ``(N, T', D)``; averaging over ``T'`` gives :meth:`forward`.
        """
        return self.forward_maps(x, joints).mean(dim=4).mean(dim=1).transpose(1, 2)

    def forward(
        self, x: torch.Tensor, joints: Sequence[int] | torch.Tensor | None = None
    ) -> torch.Tensor:
        """Global features: mean over frames and joints, then over bodies.

        Args:
            x: ``(N, C, T, V, M)``.
            joints: See :meth:`forward_maps`.

        Returns:
            ``(N, D)`` with ``D = out_dim``.
        """
        return self.forward_maps(x, joints).mean(dim=(3, 4)).mean(dim=1)


def _preset(
    name: str, layout: Layout, in_channels: int, max_bodies: int, kwargs: dict
) -> STGCN:
    options: dict = {**STGCN_PRESETS[name], "dropout": 0.5}
    options.update(kwargs)
    return STGCN(layout, in_channels=in_channels, max_bodies=max_bodies, **options)


def stgcn(layout: Layout, in_channels: int = 3, max_bodies: int = 2, **kwargs) -> STGCN:
    """Yan et al.'s ST-GCN (256-d features); keyword arguments override the preset."""
    return _preset("stgcn", layout, in_channels, max_bodies, kwargs)


def stgcn16(layout: Layout, in_channels: int = 3, max_bodies: int = 2, **kwargs) -> STGCN:
    """PSTL's / ASMa's 16-channel ST-GCN (256-d features); kwargs override the preset."""
    return _preset("stgcn16", layout, in_channels, max_bodies, kwargs)


def stgcn5(layout: Layout, in_channels: int = 3, max_bodies: int = 2, **kwargs) -> STGCN:
    """ASMa-Distill's 5-block student ST-GCN (128-d features); kwargs override the preset."""
    return _preset("stgcn5", layout, in_channels, max_bodies, kwargs)
