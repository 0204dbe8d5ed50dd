"""Heads that sit on a backbone's ``(N, D)`` features: classifiers and projectors.

- :class:`LinearHead`: the linear classifier of linear evaluation and fine-tuning.
- :class:`MLPProjector`: MLP projection heads, e.g. MoCo v2's (CMD/I2MD:
  ``MLPProjector(2048, 2048, 128, layers=2, bn=False)``, i.e. Linear-ReLU-Linear with
  biases) and Barlow Twins' (ASMa/PSTL: ``MLPProjector(256, 6144, 6144, layers=3)``,
  i.e. (Linear-BN-ReLU) x 2 then Linear, no biases).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LinearHead", "MLPProjector"]


class LinearHead(nn.Module):
    """Linear classifier with optional dropout before it.

    Args:
        in_dim: Feature width D.
        num_classes: Number of classes.
        dropout: Dropout probability on the features.
    """

    def __init__(self, in_dim: int, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_dim, num_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Maps features ``(N, in_dim)`` to logits ``(N, num_classes)``."""
        return self.fc(self.dropout(features))


class MLPProjector(nn.Module):
    """``layers`` linear layers with (BatchNorm and) ReLU between them.

    Args:
        in_dim: Input width.
        hidden: Width of the hidden layers.
        out_dim: Output width.
        layers: Number of linear layers (>= 1; 1 is a single linear map).
        bn: BatchNorm1d after every hidden linear layer.
        last_bn: BatchNorm1d (affine=False) after the last linear layer.
        bias: Biases in the linear layers; default ``not bn`` (a bias before a
            BatchNorm is redundant, and Barlow Twins' last layer has none either).
    """

    def __init__(
        self,
        in_dim: int,
        hidden: int,
        out_dim: int,
        layers: int = 2,
        bn: bool = True,
        last_bn: bool = False,
        bias: bool | None = None,
    ) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        use_bias = (not bn) if bias is None else bias
        widths = [in_dim] + [hidden] * (layers - 1) + [out_dim]
        modules: list[nn.Module] = []
        for i in range(layers):
            modules.append(nn.Linear(widths[i], widths[i + 1], bias=use_bias))
            if i < layers - 1:
                if bn:
                    modules.append(nn.BatchNorm1d(widths[i + 1]))
                modules.append(nn.ReLU(inplace=True))
        if last_bn:
            modules.append(nn.BatchNorm1d(out_dim, affine=False))
        self.net = nn.Sequential(*modules)
        self.out_dim = out_dim

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Maps ``(N, in_dim)`` to ``(N, out_dim)``."""
        return self.net(features)
