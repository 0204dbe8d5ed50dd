"""Torch datasets over skeleton stores, augmentations and multi-view sampling.

- :class:`SkeletonDataset`: one split of a store in memory; items
  ``{"x": [C, T, V, M], "label", "index"}`` (+ ``"motion"``, ``"bone"``);
- :mod:`actionkit.data.transforms`: ``t(x [T, M, V, C], rng) -> x`` augmentations;
- :mod:`actionkit.data.views`: :class:`MultiView` and the ISC / CMD view recipes;
- :mod:`actionkit.data.masking`: :class:`ASMaMasking`, ASMa's anchor and masked streams;
- :mod:`actionkit.data.derive`: motion and bone of batched joint tensors, on the device;
- :class:`VideoClipDataset` over video stores, with :mod:`actionkit.data.clip_sampling`
  (TSN, MML, CMPL samplers) and :mod:`actionkit.data.video_transforms` (clip- and
  sample-consistent crops, flips, colour, test views); :func:`video_loader`.
"""

from __future__ import annotations

from actionkit.extras import require

require("torch", "train")  # before any submodule imports it: a missing torch is one line naming the extra

from actionkit.data.clip_sampling import (
    DenseSampler,
    MixedSampler,
    SegmentSampler,
    StridedClipSampler,
    UniformTestSampler,
    modality_offset,
)
from actionkit.data.derive import bone_of, derive_streams, motion_of
from actionkit.data.masking import MASKINGS, ASMaMasking, MaskPair
from actionkit.data.skeleton import STREAMS_OUT, CollatedItems, SkeletonDataset, collate
from actionkit.data.transforms import (
    Compose,
    Flip,
    GaussianNoise,
    JointCorruption,
    Normalize,
    RandomApply,
    RandomChoice,
    RandomRotation,
    RandomScale,
    Shear,
    TemporalCropResize,
    Transform,
    UniformResample,
    apply_linear,
    rotation_matrix,
)
from actionkit.data.video import VideoClipDataset, video_loader
from actionkit.data.views import CMDView, MultiView, ViewParams, cmd_test_view, cmd_train_view

__all__ = [
    "SkeletonDataset",
    "STREAMS_OUT",
    "CollatedItems",
    "collate",
    "Transform",
    "Compose",
    "RandomApply",
    "RandomChoice",
    "TemporalCropResize",
    "UniformResample",
    "RandomRotation",
    "RandomScale",
    "Shear",
    "JointCorruption",
    "Flip",
    "GaussianNoise",
    "Normalize",
    "apply_linear",
    "rotation_matrix",
    "MultiView",
    "CMDView",
    "ViewParams",
    "cmd_train_view",
    "cmd_test_view",
    "ASMaMasking",
    "MaskPair",
    "MASKINGS",
    "motion_of",
    "bone_of",
    "derive_streams",
    "VideoClipDataset",
    "video_loader",
    "SegmentSampler",
    "UniformTestSampler",
    "DenseSampler",
    "MixedSampler",
    "StridedClipSampler",
    "modality_offset",
]
