"""Every registered video backbone: shapes, gradients, sizes; TSM's shift, 3D-ResNet's layout, R(2+1)D's widths."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from actionkit.models import VIDEO_BACKBONES, build_video_backbone, count_parameters
from actionkit.models.r2plus1d import midplanes
from actionkit.models.resnet3d import Bottleneck3D
from actionkit.models.tsm import TSMResNet, temporal_shift

# Small settings where the registry's defaults are slow to run on CPU tests.
SMALL: dict[str, dict] = {name: {"width": 0.125} for name in VIDEO_BACKBONES if name.startswith("resnet3d")}
SMALL["tsm101"] = {"width": 0.25}


def test_registry_names_and_unknown():
    assert set(VIDEO_BACKBONES) == {
        "r2plus1d18", "tsm50", "tsm101", "resnet3d10", "resnet3d18", "resnet3d34", "resnet3d50", "resnet3d101"
    }
    with pytest.raises(KeyError, match="valid video backbones: r2plus1d18, resnet3d10"):
        build_video_backbone("i3d")


@pytest.mark.parametrize("in_channels", [3, 10])
@pytest.mark.parametrize("name", sorted(VIDEO_BACKBONES))
def test_shapes_and_gradients(name, in_channels):
    torch.manual_seed(0)
    model = build_video_backbone(name, in_channels, **SMALL.get(name, {}))
    x = torch.randn(2, in_channels, 4, 32, 32)
    y = model(x)
    assert y.shape == (2, model.out_dim)
    assert torch.isfinite(y).all()
    y.square().mean().backward()
    first = next(m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Conv3d)))
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", sorted(VIDEO_BACKBONES))
def test_wrong_input_is_refused(name):
    model = build_video_backbone(name, 3, **SMALL.get(name, {}))
    with pytest.raises(ValueError, match=r"expected \(N, 3, T, H, W\)"):
        model(torch.zeros(1, 2, 4, 32, 32))


def test_parameter_counts():
    # torchvision's r2plus1d_18 has 31,505,325 parameters with its 400-way classifier (205,200),
    # its resnet50 25,557,032 with a 1000-way classifier (2,049,000).
    assert count_parameters(build_video_backbone("r2plus1d18")) == 31_505_325 - 205_200
    assert count_parameters(build_video_backbone("tsm50")) == 25_557_032 - 2_049_000
    assert count_parameters(build_video_backbone("tsm50", 10)) == 25_557_032 - 2_049_000 + 64 * 7 * 7 * 7
    r3d50 = count_parameters(build_video_backbone("resnet3d50"))
    # ResNet-50's weights plus two more temporal taps on every bottleneck's first 1x1 conv.
    extra_stem = 64 * 3 * 7 * 7 * 4
    first_convs = sum(
        2 * m.conv1.weight[:, :, 0].numel() for m in build_video_backbone("resnet3d50").modules()
        if isinstance(m, Bottleneck3D)
    )
    assert r3d50 == 25_557_032 - 2_049_000 + extra_stem + first_convs
    assert 31.5e6 < r3d50 < 33e6
    assert 1.9e6 < count_parameters(build_video_backbone("resnet3d50", width=0.25)) < 2.1e6


def test_resnet3d_follows_table_a2():
    model = build_video_backbone("resnet3d50")
    assert model.conv1.kernel_size == (5, 7, 7) and model.conv1.stride == (1, 2, 2)
    assert model.maxpool.kernel_size == (1, 3, 3)
    blocks = [m for m in model.modules() if isinstance(m, Bottleneck3D)]
    assert len(blocks) == 16
    assert all(b.conv1.kernel_size == (3, 1, 1) and b.conv2.kernel_size == (1, 3, 3) for b in blocks)
    assert all(conv.stride[0] == 1 for conv in model.modules() if isinstance(conv, nn.Conv3d))
    aux = build_video_backbone("resnet3d50", width=0.25)
    assert aux.conv1.out_channels == 16 and aux.out_dim == 512
    feats = aux.forward_features(torch.randn(1, 3, 8, 64, 64))
    assert feats.shape == (1, 512, 8, 2, 2)  # no temporal downsampling


def test_resnet3d_rejects_unknown_depth_and_width():
    with pytest.raises(ValueError, match="valid depths"):
        build_video_backbone("resnet3d50").__class__(depth=26)
    with pytest.raises(ValueError, match="width must be positive"):
        build_video_backbone("resnet3d18", width=0)


def test_temporal_shift_by_hand():
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).view(2 * 3, 8, 1, 1)  # 2 clips x 3 frames, 8 channels
    y = temporal_shift(x, frames=3, shift_div=4).view(2, 3, 8)
    v = x.view(2, 3, 8)
    for clip in range(2):
        for t in range(3):
            nxt = v[clip, t + 1, :2] if t < 2 else torch.zeros(2)
            prv = v[clip, t - 1, 2:4] if t > 0 else torch.zeros(2)
            torch.testing.assert_close(y[clip, t, :2], nxt)
            torch.testing.assert_close(y[clip, t, 2:4], prv)
            torch.testing.assert_close(y[clip, t, 4:], v[clip, t, 4:])
    assert temporal_shift(x, 3, shift_div=0) is x


def test_tsm_mixes_frames_and_tsn_does_not():
    torch.manual_seed(0)
    x = torch.randn(1, 3, 4, 32, 32)
    perm = torch.tensor([2, 0, 3, 1])
    tsn = TSMResNet(50, shift_div=0).eval()
    tsm = TSMResNet(50).eval()
    tsm.load_state_dict(tsn.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(tsn.forward_frames(x[:, :, perm]), tsn.forward_frames(x)[:, perm])
        shifted = tsm.forward_frames(x[:, :, perm])
        assert not torch.allclose(shifted, tsm.forward_frames(x)[:, perm], atol=1e-4)
        torch.testing.assert_close(tsm(x), tsm.forward_frames(x).mean(1))
    quarter = TSMResNet(50, 10, width=0.25)
    assert quarter.out_dim == 512 and quarter(torch.randn(2, 10, 3, 32, 32)).shape == (2, 512)


def test_r2plus1d_midplanes():
    # torchvision's widths: 144, 230, 460, 921 for the stages' first blocks' convs.
    assert [midplanes(64, 64), midplanes(64, 128), midplanes(128, 256), midplanes(256, 512)] == [144, 230, 460, 921]
    tv = build_video_backbone("r2plus1d18")
    paper = build_video_backbone("r2plus1d18", midplanes="per-conv")
    assert tv.layer2[0].conv2[0][0].out_channels == 230
    assert paper.layer2[0].conv2[0][0].out_channels == midplanes(128, 128) == 288
    with pytest.raises(ValueError, match="midplanes"):
        build_video_backbone("r2plus1d18", midplanes="paper")
    feats = tv.forward_features(torch.randn(1, 3, 8, 64, 64))
    assert feats.shape == (1, 512, 1, 4, 4)
    quarter = build_video_backbone("r2plus1d18", 2, width=0.25)
    assert quarter.out_dim == 128 and quarter(torch.randn(1, 2, 8, 32, 32)).shape == (1, 128)


@pytest.mark.parametrize("name", sorted(VIDEO_BACKBONES))
def test_zero_init_residual_makes_every_block_the_identity(name):
    """Each residual block without a downsample passes its (non-negative) input through unchanged."""
    torch.manual_seed(0)
    model = build_video_backbone(name, 3, zero_init_residual=True, **SMALL.get(name, {"width": 0.25}))
    model.eval()
    blocks = [m for m in model.modules() if hasattr(m, "downsample") and m.downsample is None]
    assert blocks
    frames = 4
    for m in model.modules():
        if hasattr(m, "frames"):
            m.frames = frames
    for block in blocks:
        inplanes = next(c for c in block.modules() if isinstance(c, (nn.Conv2d, nn.Conv3d))).in_channels
        is_2d = any(isinstance(c, nn.Conv2d) for c in block.modules())
        x = torch.rand(2 * frames, inplanes, 6, 6) if is_2d else torch.rand(2, inplanes, frames, 6, 6)
        torch.testing.assert_close(block(x), x)
    torch.manual_seed(0)
    plain = build_video_backbone(name, 3, **SMALL.get(name, {"width": 0.25}))
    zeroed, default = model.state_dict(), plain.state_dict()
    changed = [k for k in default if not torch.equal(default[k], zeroed[k])]
    assert len(changed) == sum(1 for m in model.modules() if hasattr(m, "downsample")), changed
    assert all(k.endswith("weight") and (zeroed[k] == 0).all() and (default[k] == 1).all() for k in changed)
