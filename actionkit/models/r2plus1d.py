"""R(2+1)D-18 (Tran et al., "A Closer Look at Spatiotemporal Convolutions"): DMCL's backbone.

Every 3x3x3 conv of a 3D ResNet-18 is factored into a ``1x3x3`` spatial conv to M
channels, BN, ReLU, and a ``3x1x1`` temporal conv, with M chosen so that the pair has
about as many parameters as the 3D conv: ``M = floor(27 N_in N_out / (9 N_in + 3 N_out))``.
The stem is a ``1x7x7`` conv to 45 channels followed by a ``3x1x1`` conv to 64; stages
2-4 stride 2 in time and space.

``midplanes="torchvision"`` (default) computes M of both convs of a block from the
block's input and output widths, as torchvision's ``r2plus1d_18`` does (31.3M
parameters without the classifier); parameter names match it too, so its Kinetics
weights load from a local file. ``midplanes="per-conv"`` applies the formula to each conv
on its own, as the paper defines it (the second conv of each stage's first block gets a
few more channels).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["R2Plus1D", "r2plus1d18", "midplanes"]


def midplanes(inplanes: int, planes: int) -> int:
    """Intermediate width M of a (2+1)D conv replacing a 3x3x3 conv ``inplanes -> planes``."""
    return (inplanes * planes * 27) // (inplanes * 9 + 3 * planes)


def _conv2plus1d(inplanes: int, planes: int, mid: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(inplanes, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False),
        nn.BatchNorm3d(mid),
        nn.ReLU(inplace=True),
        nn.Conv3d(mid, planes, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False),
    )


class R2Plus1DBlock(nn.Module):
    """Basic block of two (2+1)D convs; names as torchvision's (``conv1.0.0``, ``conv1.1``, ...)."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 rule: str = "torchvision"):
        super().__init__()
        mid1 = midplanes(inplanes, planes)
        mid2 = mid1 if rule == "torchvision" else midplanes(planes, planes)
        self.conv1 = nn.Sequential(_conv2plus1d(inplanes, planes, mid1, stride), nn.BatchNorm3d(planes),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(_conv2plus1d(planes, planes, mid2, 1), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + identity)


class R2Plus1D(nn.Module):
    """R(2+1)D-18 backbone.

    Args:
        in_channels: Input channels (3 for RGB; 1 for depth; 2 for one flow field).
        midplanes: ``"torchvision"`` or ``"per-conv"`` (see the module docstring).
        layers: Blocks per stage (``(2, 2, 2, 2)`` is R(2+1)D-18, ``(3, 4, 6, 3)`` -34).
        width: Channel multiplier (1: the published network; smaller widths make quick
            CPU experiments affordable).
        zero_init_residual: Start every block's last BN at zero (each block starts as the
            identity), a common choice when training from scratch.

    Shapes:
        ``forward``: ``(N, C, T, H, W)`` -> ``(N, out_dim)`` (512 x width).
        ``forward_features``: ``(N, C, T, H, W)`` -> ``(N, out_dim, ceil(T/8), H/16, W/16)``.
    """

    def __init__(self, in_channels: int = 3, *, midplanes: str = "torchvision",
                 layers: tuple[int, int, int, int] = (2, 2, 2, 2), width: float = 1.0,
                 zero_init_residual: bool = False):
        super().__init__()
        if midplanes not in ("torchvision", "per-conv"):
            raise ValueError(f"midplanes must be 'torchvision' or 'per-conv', got {midplanes!r}")
        if width <= 0:
            raise ValueError(f"width must be positive, got {width}")
        self.in_channels, self.rule = in_channels, midplanes
        stem_mid, stem_out = max(1, round(45 * width)), max(1, round(64 * width))
        self.stem = nn.Sequential(
            nn.Conv3d(in_channels, stem_mid, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
            nn.BatchNorm3d(stem_mid),
            nn.ReLU(inplace=True),
            nn.Conv3d(stem_mid, stem_out, (3, 1, 1), 1, (1, 0, 0), bias=False),
            nn.BatchNorm3d(stem_out),
            nn.ReLU(inplace=True),
        )
        self._inplanes = stem_out
        planes = [max(1, round(p * width)) for p in (64, 128, 256, 512)]
        self.layer1 = self._stage(planes[0], layers[0], 1)
        self.layer2 = self._stage(planes[1], layers[1], 2)
        self.layer3 = self._stage(planes[2], layers[2], 2)
        self.layer4 = self._stage(planes[3], layers[3], 2)
        self.out_dim = planes[3]
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, R2Plus1DBlock):
                    nn.init.zeros_(m.conv2[1].weight)

    def _stage(self, planes: int, count: int, stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or self._inplanes != planes:
            downsample = nn.Sequential(nn.Conv3d(self._inplanes, planes, 1, stride, bias=False),
                                       nn.BatchNorm3d(planes))
        blocks = [R2Plus1DBlock(self._inplanes, planes, stride, downsample, self.rule)]
        self._inplanes = planes
        blocks += [R2Plus1DBlock(planes, planes, 1, None, self.rule) for _ in range(count - 1)]
        return nn.Sequential(*blocks)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's feature map."""
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected (N, {self.in_channels}, T, H, W), got {tuple(x.shape)}")
        x = self.stem(x)
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x).mean(dim=(2, 3, 4))


def r2plus1d18(in_channels: int = 3, **kwargs) -> R2Plus1D:
    """R(2+1)D-18 (DMCL: one per modality, from scratch)."""
    return R2Plus1D(in_channels, **kwargs)
