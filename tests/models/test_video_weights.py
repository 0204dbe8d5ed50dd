"""Loading torchvision-layout ImageNet and video checkpoints into the video backbones."""

from __future__ import annotations

import pytest
import torch

from actionkit.models import build_video_backbone, load_image_weights
from actionkit.models.tsm import TSMResNet
from actionkit.models.video_weights import adapt_input_channels, inflate_kernel

BLOCKS = {18: ("basic", (2, 2, 2, 2)), 50: ("bottleneck", (3, 4, 6, 3))}


def _bn(prefix: str, c: int) -> dict[str, tuple]:
    return {f"{prefix}.{k}": (c,) for k in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()
    }


def torchvision_resnet_shapes(depth: int, classes: int = 1000) -> dict[str, tuple]:
    """Key -> shape of torchvision's ``resnet18``/``resnet50`` state dict, written out from its definition."""
    kind, counts = BLOCKS[depth]
    shapes = {"conv1.weight": (64, 3, 7, 7), **_bn("bn1", 64)}
    inplanes = 64
    for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), counts), start=1):
        out = planes * (4 if kind == "bottleneck" else 1)
        for b in range(count):
            p = f"layer{stage}.{b}"
            if kind == "bottleneck":
                shapes |= {f"{p}.conv1.weight": (planes, inplanes, 1, 1), **_bn(f"{p}.bn1", planes),
                           f"{p}.conv2.weight": (planes, planes, 3, 3), **_bn(f"{p}.bn2", planes),
                           f"{p}.conv3.weight": (out, planes, 1, 1), **_bn(f"{p}.bn3", out)}
            else:
                shapes |= {f"{p}.conv1.weight": (planes, inplanes, 3, 3), **_bn(f"{p}.bn1", planes),
                           f"{p}.conv2.weight": (planes, planes, 3, 3), **_bn(f"{p}.bn2", planes)}
            if b == 0 and (stage > 1 or inplanes != out):
                shapes |= {f"{p}.downsample.0.weight": (out, inplanes, 1, 1), **_bn(f"{p}.downsample.1", out)}
            inplanes = out
    return shapes | {"fc.weight": (classes, inplanes), "fc.bias": (classes,)}


def torchvision_r2plus1d_shapes() -> dict[str, tuple]:
    """Key -> shape of torchvision's ``r2plus1d_18`` state dict (widths 144/230/460/921 as it computes them)."""
    shapes = {"stem.0.weight": (45, 3, 1, 7, 7), **_bn("stem.1", 45), "stem.3.weight": (64, 45, 3, 1, 1),
              **_bn("stem.4", 64)}
    inplanes = 64
    for stage, planes in enumerate((64, 128, 256, 512), start=1):
        for b in range(2):
            p = f"layer{stage}.{b}"
            mid = inplanes * planes * 27 // (inplanes * 9 + 3 * planes)
            for conv, cin in (("conv1", inplanes), ("conv2", planes)):
                shapes |= {f"{p}.{conv}.0.0.weight": (mid, cin, 1, 3, 3), **_bn(f"{p}.{conv}.0.1", mid),
                           f"{p}.{conv}.0.3.weight": (planes, mid, 3, 1, 1), **_bn(f"{p}.{conv}.1", planes)}
            if b == 0 and stage > 1:
                shapes |= {f"{p}.downsample.0.weight": (planes, inplanes, 1, 1, 1), **_bn(f"{p}.downsample.1", planes)}
            inplanes = planes
    return shapes | {"fc.weight": (400, 512), "fc.bias": (400,)}


def _checkpoint(tmp_path, shapes: dict[str, tuple], wrap=lambda s: s, name="ckpt.pth"):
    g = torch.Generator().manual_seed(0)
    state = {k: (torch.tensor(7) if k.endswith("num_batches_tracked") else torch.randn(s, generator=g))
             for k, s in shapes.items()}
    path = tmp_path / name
    torch.save(wrap(state), path)
    return path, state


@pytest.fixture(scope="module")
def resnet50(tmp_path_factory):
    """``(path, state)`` of one random torchvision-layout ResNet-50 checkpoint, read by the tests (25M values)."""
    return _checkpoint(tmp_path_factory.mktemp("resnet50"), torchvision_resnet_shapes(50))


def test_torchvision_resnet50_loads_into_tsm50(resnet50):
    path, state = resnet50
    model = build_video_backbone("tsm50")
    result = load_image_weights(model, path)
    assert result.missing == [] and result.unexpected == []
    assert set(result.loaded) == set(state) - {"fc.weight", "fc.bias"}
    own = model.state_dict()
    assert all(torch.equal(own[k], state[k]) for k in result.loaded)


@pytest.mark.parametrize("inflate", ["mean", "centre"])
def test_torchvision_resnet50_inflates_into_resnet3d50(resnet50, inflate):
    path, state = resnet50
    model = build_video_backbone("resnet3d50")
    result = load_image_weights(model, path, inflate=inflate)
    assert result.missing == [] and result.unexpected == []
    own = model.state_dict()
    stem, w2d = own["conv1.weight"], state["conv1.weight"]
    assert stem.shape == (64, 3, 5, 7, 7)
    if inflate == "mean":
        for t in range(5):
            torch.testing.assert_close(stem[:, :, t], w2d / 5)
    else:
        torch.testing.assert_close(stem[:, :, 2], w2d)
        assert stem[:, :, [0, 1, 3, 4]].abs().sum() == 0
    assert own["layer3.2.conv1.weight"].shape == (256, 1024, 3, 1, 1)
    torch.testing.assert_close(own["layer3.2.conv2.weight"][:, :, 0], state["layer3.2.conv2.weight"])
    torch.testing.assert_close(own["layer4.0.bn3.running_var"], state["layer4.0.bn3.running_var"])


def test_torchvision_resnet18_inflates_into_resnet3d18(tmp_path):
    path, _ = _checkpoint(tmp_path, torchvision_resnet_shapes(18))
    result = load_image_weights(build_video_backbone("resnet3d18"), path)
    assert result.missing == [] and result.unexpected == []


def test_torchvision_r2plus1d18_loads_unchanged(tmp_path):
    path, state = _checkpoint(tmp_path, torchvision_r2plus1d_shapes(), wrap=lambda s: {"state_dict": s})
    model = build_video_backbone("r2plus1d18")
    result = load_image_weights(model, path)
    assert result.missing == [] and result.unexpected == []
    assert torch.equal(model.state_dict()["layer2.0.conv2.0.0.weight"], state["layer2.0.conv2.0.0.weight"])


@pytest.mark.parametrize("channels", [1, 2, 10, 15])
def test_first_conv_adapts_to_other_modalities(resnet50, channels):
    path, state = resnet50
    model = build_video_backbone("tsm50", channels)
    load_image_weights(model, path)
    w = model.state_dict()["conv1.weight"]
    assert w.shape == (64, channels, 7, 7)
    mean = state["conv1.weight"].mean(dim=1)
    for c in range(channels):
        torch.testing.assert_close(w[:, c], mean)
    r3d = build_video_backbone("resnet3d50", channels)
    load_image_weights(r3d, path)
    torch.testing.assert_close(r3d.state_dict()["conv1.weight"][:, -1, 2], mean / 5)


def test_own_checkpoints_round_trip_across_modalities(tmp_path):
    torch.manual_seed(0)
    rgb = build_video_backbone("resnet3d50", width=0.25)
    path = tmp_path / "run.pt"
    torch.save({"model": {f"module.{k}": v for k, v in rgb.state_dict().items()}}, path)
    same = build_video_backbone("resnet3d50", width=0.25)
    load_image_weights(same, path)
    assert all(torch.equal(a, b) for a, b in zip(same.state_dict().values(), rgb.state_dict().values()))
    flow = build_video_backbone("resnet3d50", 10, width=0.25)
    load_image_weights(flow, path)
    torch.testing.assert_close(flow.conv1.weight[:, 7], rgb.conv1.weight.mean(dim=1))


def test_inflated_network_sees_a_still_clip_as_the_2d_network_sees_a_frame(tmp_path):
    """Mean inflation: away from the clip's ends, 3D-ResNet-50's features of a clip of identical frames
    equal the 2D ResNet-50's features of that frame (18 frames of zero padding reach in from each end)."""
    torch.manual_seed(0)
    resnet = TSMResNet(50, shift_div=0)
    for m in resnet.modules():
        if isinstance(m, torch.nn.BatchNorm2d):  # non-trivial, well-scaled inference statistics
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.2, 0.5)
    path = tmp_path / "resnet50.pth"
    torch.save(resnet.state_dict(), path)
    r3d = build_video_backbone("resnet3d50")
    load_image_weights(r3d, path)
    frame = torch.randn(1, 3, 32, 32)
    clip = frame.unsqueeze(2).expand(1, 3, 37, 32, 32).contiguous()
    with torch.no_grad():
        expected = resnet.eval().forward_frames(frame.unsqueeze(2))[0, 0]
        got = r3d.eval().forward_features(clip)[0, :, 18].mean(dim=(1, 2))
        edge = r3d.forward_features(clip)[0, :, 0].mean(dim=(1, 2))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert not torch.allclose(edge, expected, rtol=1e-3, atol=1e-3)


def test_kernel_helpers():
    w = torch.randn(4, 3, 3, 3)
    torch.testing.assert_close(inflate_kernel(w, 3).sum(dim=2), w)
    with pytest.raises(ValueError, match="inflate"):
        inflate_kernel(w, 3, "repeat")
    assert adapt_input_channels(w, 10).shape == (4, 10, 3, 3)


def test_errors_name_the_file_and_keys(tmp_path):
    path, _ = _checkpoint(tmp_path, torchvision_resnet_shapes(18))
    with pytest.raises(ValueError, match=r"ckpt.pth: the checkpoint does not fit TSMResNet; .*shape mismatches: "):
        load_image_weights(build_video_backbone("tsm50"), path)
    with pytest.raises(ValueError, match="missing keys: layer1.0.conv3.weight"):
        load_image_weights(build_video_backbone("resnet3d50"), path, strict=True)
    with pytest.raises(ValueError, match="local files only"):
        load_image_weights(build_video_backbone("tsm50"), "https://download.pytorch.org/models/resnet50.pth")
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_image_weights(build_video_backbone("tsm50"), tmp_path / "absent.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pth: not a readable torch checkpoint"):
        load_image_weights(build_video_backbone("tsm50"), junk)


def test_prefix_selects_a_nested_backbone(tmp_path):
    def nest(state):
        return {"model": {f"backbone.{k}": v for k, v in state.items()} | {"head.w": torch.ones(1)}}

    path, _ = _checkpoint(tmp_path, torchvision_resnet_shapes(50), wrap=nest)
    model = build_video_backbone("tsm50")
    with pytest.raises(ValueError, match="unexpected keys"):
        load_image_weights(model, path)
    assert load_image_weights(model, path, prefix="backbone.").missing == []
