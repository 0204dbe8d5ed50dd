"""Batched device-side augmentation: per-sample parameters shared over frames and modalities."""

from __future__ import annotations

import torch

from actionkit.data.gpu_augment import BatchedClipAugment


def test_shapes_and_frame_consistency():
    g = torch.Generator().manual_seed(0)
    frame = torch.randn(4, 3, 1, 40, 48)
    inputs = {"rgb": frame.repeat(1, 1, 5, 1, 1), "flow": torch.randn(4, 2, 1, 40, 48).repeat(1, 1, 5, 1, 1)}
    out = BatchedClipAugment(32)(inputs, g)
    assert out["rgb"].shape == (4, 3, 5, 32, 32) and out["flow"].shape == (4, 2, 5, 32, 32)
    assert torch.allclose(out["rgb"], out["rgb"][:, :, :1].expand_as(out["rgb"]))  # same crop for every frame


def test_same_window_for_every_modality_and_flip_negates_flow_x():
    aug = BatchedClipAugment(16, scale=(1.0, 1.0), ratio=(1.0, 1.0), flip=1.0, jitter=0.0)
    image = torch.arange(16 * 16, dtype=torch.float32).view(1, 1, 1, 16, 16)
    out = aug({"rgb": image.repeat(1, 3, 1, 1, 1), "flow": image.repeat(1, 2, 1, 1, 1)}, torch.Generator())
    mirrored = image.flip(-1)
    assert torch.allclose(out["rgb"][:, :1], mirrored, atol=1e-4)  # full-frame crop, flipped
    assert torch.allclose(out["flow"][:, :1], -mirrored, atol=1e-4)
    assert torch.allclose(out["flow"][:, 1:], mirrored, atol=1e-4)


def test_generator_makes_it_repeatable():
    x = {"rgb": torch.randn(3, 3, 2, 20, 20)}
    a = BatchedClipAugment(12)(x, torch.Generator().manual_seed(5))["rgb"]
    b = BatchedClipAugment(12)(x, torch.Generator().manual_seed(5))["rgb"]
    assert torch.equal(a, b)
