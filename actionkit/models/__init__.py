"""Skeleton backbones, heads, and helpers to profile and load them.

Every backbone maps a float tensor ``(N, C, T, V, M)`` (batch, coordinates, frames,
joints, bodies) to features ``(N, model.out_dim)``; heads are separate modules. Build
one by name::

    from actionkit.layouts import NTU25
    from actionkit.models import build_backbone, LinearHead

    encoder = build_backbone("stgcn", NTU25)            # out_dim 256
    head = LinearHead(encoder.out_dim, 60)

ASMa's two encoders are fused by :class:`FeatureAlignment` over their per-frame
features (``STGCN.forward_frames``), and distilled into ``stgcn5``.

======================  =========================================  =======
name                    network                                    out_dim
======================  =========================================  =======
``stgcn``               ST-GCN, 10 blocks 64-256 (Yan et al.)     256
``stgcn16``             ST-GCN, 10 blocks 16-256 (PSTL / ASMa)    256
``stgcn5``              ST-GCN, 5 blocks 16-128 (ASMa student)    128
``gru``                 3-layer BiGRU, 1024 units (CMD)            2048
``gcn_transformer``     3 ST-GCN blocks + 6-layer Transformer      768
                        with optional cross-attention (I2MD)
======================  =========================================  =======

Video backbones map ``(N, C, T, H, W)`` to ``(N, model.out_dim)``; build one with
:func:`build_video_backbone` and fill it from a local ImageNet or video checkpoint with
:func:`load_image_weights` (2D -> 3D inflation, input-channel adaptation)::

    encoder = build_video_backbone("tsm50", in_channels=10)     # flow: 5 stacked x/y pairs
    load_image_weights(encoder, "weights/resnet50-imagenet.pth")

======================  =========================================  =======
name                    network                                    out_dim
======================  =========================================  =======
``r2plus1d18``          R(2+1)D-18 (DMCL), 31.3M parameters        512
``tsm50``, ``tsm101``   TSM-ResNet-50/101 (MML), 23.5M / 42.5M     2048
``resnet3d10`` ...      slow-only 3D-ResNet 10/18/34/50/101        512 or
``resnet3d101``         (CMPL; ``width=0.25`` gives x1/4)          2048 x width
======================  =========================================  =======
"""

from __future__ import annotations

from actionkit.extras import require

require("torch", "train")  # before any submodule imports it: a missing torch is one line naming the extra

from collections.abc import Callable

from torch import nn

from actionkit.layouts import Layout
from actionkit.models.alignment import FeatureAlignment
from actionkit.models.gcn_transformer import GCNTransformer, gcn_transformer
from actionkit.models.graph import spatial_partition
from actionkit.models.gru import GRUEncoder, gru
from actionkit.models.heads import LinearHead, MLPProjector
from actionkit.models.profile import count_flops, count_parameters
from actionkit.models.r2plus1d import R2Plus1D, r2plus1d18
from actionkit.models.resnet3d import ResNet3D, resnet3d10, resnet3d18, resnet3d34, resnet3d50, resnet3d101
from actionkit.models.stgcn import STGCN, stgcn, stgcn5, stgcn16
from actionkit.models.tsm import TSMResNet, tsm50, tsm101
from actionkit.models.video_weights import load_image_weights
from actionkit.models.weights import LoadResult, load_weights

__all__ = [
    "BACKBONES",
    "build_backbone",
    "VIDEO_BACKBONES",
    "build_video_backbone",
    "R2Plus1D",
    "TSMResNet",
    "ResNet3D",
    "load_image_weights",
    "STGCN",
    "GRUEncoder",
    "GCNTransformer",
    "FeatureAlignment",
    "LinearHead",
    "MLPProjector",
    "count_parameters",
    "count_flops",
    "load_weights",
    "LoadResult",
    "spatial_partition",
]

BACKBONES: dict[str, Callable[..., nn.Module]] = {
    "stgcn": stgcn,
    "stgcn16": stgcn16,
    "stgcn5": stgcn5,
    "gru": gru,
    "gcn_transformer": gcn_transformer,
}
"""Backbone factories: ``factory(layout, in_channels=3, max_bodies=2, **kwargs)``."""


def build_backbone(
    name: str, layout: Layout, in_channels: int = 3, max_bodies: int = 2, **kwargs
) -> nn.Module:
    """Builds the backbone registered as ``name``.

    Args:
        name: A key of :data:`BACKBONES`.
        layout: Skeleton layout.
        in_channels: Coordinate channels C.
        max_bodies: Bodies M per sample.
        **kwargs: Overrides of the backbone's defaults (widths, depth, quirks, ...).

    Returns:
        The backbone, with an ``out_dim`` attribute.

    Raises:
        KeyError: If ``name`` is not registered; the message lists the valid names.
    """
    try:
        factory = BACKBONES[name]
    except KeyError:
        raise KeyError(
            f"unknown backbone {name!r}; valid backbones: {', '.join(sorted(BACKBONES))}"
        ) from None
    return factory(layout, in_channels=in_channels, max_bodies=max_bodies, **kwargs)


VIDEO_BACKBONES: dict[str, Callable[..., nn.Module]] = {
    "r2plus1d18": r2plus1d18,
    "tsm50": tsm50,
    "tsm101": tsm101,
    "resnet3d10": resnet3d10,
    "resnet3d18": resnet3d18,
    "resnet3d34": resnet3d34,
    "resnet3d50": resnet3d50,
    "resnet3d101": resnet3d101,
}
"""Video backbone factories: ``factory(in_channels=3, **kwargs)``."""


def build_video_backbone(name: str, in_channels: int = 3, **kwargs) -> nn.Module:
    """Builds the video backbone registered as ``name``.

    Args:
        name: A key of :data:`VIDEO_BACKBONES`.
        in_channels: Input channels (3 RGB, 1 depth, 2 flow, 10 stacked flow, 15 stacked
            RGB differences).
        **kwargs: The backbone's options (``width`` for 3D-ResNets, ``shift_div`` for TSM,
            ``midplanes`` for R(2+1)D).

    Returns:
        The backbone, with an ``out_dim`` attribute.

    Raises:
        KeyError: If ``name`` is not registered; the message lists the valid names.
    """
    try:
        factory = VIDEO_BACKBONES[name]
    except KeyError:
        raise KeyError(
            f"unknown video backbone {name!r}; valid video backbones: {', '.join(sorted(VIDEO_BACKBONES))}"
        ) from None
    return factory(in_channels, **kwargs)
