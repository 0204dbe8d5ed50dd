"""Slow-only 3D-ResNets (CMPL's Table A2): 2D ResNets with temporal kernels and no temporal striding.

The layout follows CMPL's Table A2 for 3D-ResNet-50: a ``5x7x7`` stem (stride 1, 2, 2), a
``1x3x3`` max-pool, and bottlenecks whose first ``1x1`` conv is inflated to ``3x1x1`` in
every stage (the paper: "inflates the 2D kernel at conv1 across all stages"); everything
else stays 2D and no layer strides in time, so T frames in give T frames out.

Depths 10/18/34 use basic blocks; their first ``3x3`` conv is inflated to ``3x3x3`` (the
same "conv1 of every block" rule; Table A2 only shows the bottleneck). ``width`` scales
every channel count: CMPL's auxiliary 3D-ResNet-50 x1/4 is ``resnet3d50(width=0.25)``.

Parameter and buffer names follow torchvision's ``ResNet`` (``conv1``, ``bn1``,
``layer1.0.conv1``, ``layer1.0.downsample.0``, ...), so ImageNet weights in that layout
inflate into these models (:func:`actionkit.models.video_weights.load_image_weights`).

=================  ======================  ==========
model              blocks                  parameters
=================  ======================  ==========
resnet3d10         basic 1-1-1-1           8.1M
resnet3d18         basic 2-2-2-2           20.7M
resnet3d34         basic 3-4-6-3           40.9M
resnet3d50         bottleneck 3-4-6-3      32.2M
resnet3d50 x1/2    bottleneck 3-4-6-3      8.1M
resnet3d50 x1/4    bottleneck 3-4-6-3      2.0M
resnet3d50 x1/8    bottleneck 3-4-6-3      0.5M
resnet3d101        bottleneck 3-4-23-3     60.1M
=================  ======================  ==========
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ResNet3D", "resnet3d10", "resnet3d18", "resnet3d34", "resnet3d50", "resnet3d101", "RESNET3D_DEPTHS"]

RESNET3D_DEPTHS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    10: ("basic", (1, 1, 1, 1)),
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
}
"""Depth -> (block type, blocks per stage), as in torchvision's ResNets."""


def _bn(channels: int) -> nn.BatchNorm3d:
    return nn.BatchNorm3d(channels)


class BasicBlock3D(nn.Module):
    """Two convs (``kt x 3 x 3`` then ``1 x 3 x 3``) with a residual connection."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, temporal_kernel: int = 3,
                 downsample: nn.Module | None = None):
        super().__init__()
        kt = temporal_kernel
        self.conv1 = nn.Conv3d(inplanes, planes, (kt, 3, 3), (1, stride, stride), (kt // 2, 1, 1), bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv3d(planes, planes, (1, 3, 3), 1, (0, 1, 1), bias=False)
        self.bn2 = _bn(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck3D(nn.Module):
    """``kt x 1 x 1`` -> ``1 x 3 x 3`` (spatial stride) -> ``1 x 1 x 1`` (x4 channels), residual."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, temporal_kernel: int = 3,
                 downsample: nn.Module | None = None):
        super().__init__()
        kt = temporal_kernel
        self.conv1 = nn.Conv3d(inplanes, planes, (kt, 1, 1), 1, (kt // 2, 0, 0), bias=False)
        self.bn1 = _bn(planes)
        self.conv2 = nn.Conv3d(planes, planes, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False)
        self.bn2 = _bn(planes)
        self.conv3 = nn.Conv3d(planes, planes * 4, 1, bias=False)
        self.bn3 = _bn(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet3D(nn.Module):
    """A slow-only 3D-ResNet backbone.

    Args:
        depth: 10, 18, 34, 50 or 101.
        width: Channel multiplier (CMPL's x1/2, x1/4, x1/8 are 0.5, 0.25, 0.125).
        in_channels: Input channels (3 for RGB).
        stem_temporal_kernel: Temporal size of the stem conv (5 in Table A2).
        temporal_kernel: Temporal size of every block's first conv (3).
        zero_init_residual: Start every residual branch's last BN at zero (each block
            starts as the identity), a common choice when training from scratch.

    Shapes:
        ``forward``: ``(N, C, T, H, W)`` -> ``(N, out_dim)`` (global average pool).
        ``forward_features``: ``(N, C, T, H, W)`` -> ``(N, out_dim, T, H/32, W/32)``.
    """

    def __init__(self, depth: int = 50, width: float = 1.0, in_channels: int = 3, *,
                 stem_temporal_kernel: int = 5, temporal_kernel: int = 3, zero_init_residual: bool = False):
        super().__init__()
        if depth not in RESNET3D_DEPTHS:
            raise ValueError(f"unknown ResNet3D depth {depth}; valid depths: {sorted(RESNET3D_DEPTHS)}")
        if width <= 0:
            raise ValueError(f"width must be positive, got {width}")
        kind, blocks = RESNET3D_DEPTHS[depth]
        block = BasicBlock3D if kind == "basic" else Bottleneck3D
        self.depth, self.width, self.in_channels = depth, width, in_channels
        self.temporal_kernel = temporal_kernel
        stem = max(1, round(64 * width))
        kt = stem_temporal_kernel
        self.conv1 = nn.Conv3d(in_channels, stem, (kt, 7, 7), (1, 2, 2), (kt // 2, 3, 3), bias=False)
        self.bn1 = _bn(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        self._inplanes = stem
        planes = [max(1, round(p * width)) for p in (64, 128, 256, 512)]
        self.layer1 = self._stage(block, planes[0], blocks[0], 1)
        self.layer2 = self._stage(block, planes[1], blocks[1], 2)
        self.layer3 = self._stage(block, planes[2], blocks[2], 2)
        self.layer4 = self._stage(block, planes[3], blocks[3], 2)
        self.out_dim = planes[3] * block.expansion
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck3D):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock3D):
                    nn.init.zeros_(m.bn2.weight)

    def _stage(self, block: type, planes: int, count: int, stride: int) -> nn.Sequential:
        out = planes * block.expansion
        downsample = None
        if stride != 1 or self._inplanes != out:
            downsample = nn.Sequential(
                nn.Conv3d(self._inplanes, out, 1, (1, stride, stride), bias=False), _bn(out)
            )
        layers = [block(self._inplanes, planes, stride, self.temporal_kernel, downsample)]
        self._inplanes = out
        layers += [block(out, planes, 1, self.temporal_kernel) for _ in range(count - 1)]
        return nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's feature map ``(N, out_dim, T, h, w)``."""
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected (N, {self.in_channels}, T, H, W), got {tuple(x.shape)}")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x).mean(dim=(2, 3, 4))


def resnet3d10(in_channels: int = 3, **kwargs) -> ResNet3D:
    """3D-ResNet-10 (CMPL Table 3's depth ablation)."""
    return ResNet3D(10, in_channels=in_channels, **kwargs)


def resnet3d18(in_channels: int = 3, **kwargs) -> ResNet3D:
    """3D-ResNet-18 (CMPL Table 3's depth ablation)."""
    return ResNet3D(18, in_channels=in_channels, **kwargs)


def resnet3d34(in_channels: int = 3, **kwargs) -> ResNet3D:
    """3D-ResNet-34."""
    return ResNet3D(34, in_channels=in_channels, **kwargs)


def resnet3d50(in_channels: int = 3, **kwargs) -> ResNet3D:
    """3D-ResNet-50 (CMPL's primary; ``width=0.25`` is its auxiliary)."""
    return ResNet3D(50, in_channels=in_channels, **kwargs)


def resnet3d101(in_channels: int = 3, **kwargs) -> ResNet3D:
    """3D-ResNet-101."""
    return ResNet3D(101, in_channels=in_channels, **kwargs)
