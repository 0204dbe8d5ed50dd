"""Every registered backbone: shapes, gradients, determinism; ST-GCN and GRU specifics."""

from __future__ import annotations

import math

import pytest
import torch

from actionkit.layouts import KINECT_V1_20, NTU25
from actionkit.models import (
    BACKBONES,
    FeatureAlignment,
    LinearHead,
    build_backbone,
    count_flops,
    count_parameters,
)
from actionkit.models.stgcn import STGCN_PRESETS

T = 16

# Small settings per registry entry (the registry's own defaults are paper-sized).
SMALL: dict[str, dict] = {
    "stgcn": {"channels": (8, 8, 16), "strides": (1, 2, 1)},
    "stgcn16": {"channels": (4, 4, 8), "strides": (1, 2, 1)},
    "stgcn5": {"channels": (4, 4, 8), "strides": (1, 2, 1)},
    "gru": {"hidden_size": 16, "num_layers": 2},
    "gcn_transformer": {
        "gcn_channels": (4, 4, 4), "dim": 32, "depth": 2, "num_heads": 4, "ffn_dim": 64,
        "max_frames": T,
    },
}
VARIANTS = [(name, {}) for name in BACKBONES] + [
    ("gru", {"cmd_quirk": True}),
    ("gru", {"pooling": "mean"}),
    ("gcn_transformer", {"cross_attention": True}),
]
LAYOUTS = [(NTU25, 2), (KINECT_V1_20, 1)]


def _build(name, layout, bodies, extra):
    torch.manual_seed(0)
    return build_backbone(name, layout, max_bodies=bodies, **SMALL[name], **extra)


def _memory(model, n):
    if getattr(model, "cross_attention", False):
        return {"memory": torch.randn(n, 5, model.out_dim)}
    return {}


def test_registry_names_and_unknown():
    assert set(BACKBONES) == {"stgcn", "stgcn16", "stgcn5", "gru", "gcn_transformer"}
    with pytest.raises(KeyError, match="valid backbones: gcn_transformer, gru, stgcn"):
        build_backbone("resnet", NTU25)


@pytest.mark.parametrize("layout,bodies", LAYOUTS, ids=["ntu25", "kinect_v1_20"])
@pytest.mark.parametrize("name,extra", VARIANTS, ids=lambda v: str(v) if v else "")
def test_shape_gradients_determinism(name, extra, layout, bodies):
    model = _build(name, layout, bodies, extra)
    x = torch.randn(3, 3, T, layout.num_joints, bodies)
    kwargs = _memory(model, 3)
    out = model(x, **kwargs)
    assert out.shape == (3, model.out_dim) and torch.isfinite(out).all()
    (out * torch.randn_like(out)).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{pname} got no gradient"
        assert p.grad.abs().sum() > 0, f"{pname} got a zero gradient"
    # Eval mode: a sample's features do not depend on the rest of the batch (running
    # batch-norm statistics, no dropout, no mixing of samples or bodies across the batch).
    model.eval()
    with torch.no_grad():
        together = model(x, **kwargs)
        alone = [model(x[i:i + 1], **{k: v[i:i + 1] for k, v in kwargs.items()}) for i in range(3)]
    torch.testing.assert_close(torch.cat(alone), together, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(together[0], together[1])  # and it does depend on the sample


@pytest.mark.parametrize("layout,bodies", LAYOUTS, ids=["ntu25", "kinect_v1_20"])
@pytest.mark.parametrize("name", ["stgcn", "stgcn16", "stgcn5"])
def test_stgcn_frames(name, layout, bodies):
    model = _build(name, layout, bodies, {}).eval()
    x = torch.randn(2, 3, 15, layout.num_joints, bodies)
    with torch.no_grad():
        frames = model.forward_frames(x)
        assert frames.shape == (2, math.ceil(15 / 2), model.out_dim)
        torch.testing.assert_close(frames.mean(1), model(x))
        # PSTL-style joint removal keeps the output shape.
        assert model(x, joints=[0, 1, 2, 3, 4]).shape == (2, model.out_dim)


def test_stgcn_presets_and_bodies():
    assert STGCN_PRESETS["stgcn16"]["channels"] == (16, 16, 16, 16, 32, 32, 32, 64, 64, 256)
    assert STGCN_PRESETS["stgcn"]["strides"] == (1, 1, 1, 1, 2, 1, 1, 2, 1, 1)
    model = build_backbone("stgcn16", NTU25)
    assert len(model.blocks) == 10 and model.out_dim == 256
    assert not model.blocks[0].has_residual and model.blocks[0].tcn[4].p == 0.0
    assert model.blocks[1].tcn[4].p == 0.5
    # Shared data BN ("vc"): a one-body input works with a model built for two.
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 8, 25, 1)).shape == (1, 256)
    with pytest.raises(ValueError, match="expected"):
        model(torch.randn(1, 3, 8, 20, 2))


def test_stgcn_parameter_count_and_flops():
    model = build_backbone("stgcn", NTU25)
    encoder = count_parameters(model)
    assert encoder == 3_083_412  # head excluded; + LinearHead(256, 60) = 3,098,832
    assert encoder + count_parameters(LinearHead(256, 60)) == 3_098_832
    # Per block, 2 FLOPs per multiply-add: the graph conv's 1x1 conv to K=3 subsets, the
    # K adjacency products over V x V, the 9x1 temporal conv at stride s, and a strided
    # 1x1 residual conv where the shape changes (not in block 0); times M bodies.
    def closed_form(preset: str, t: int, v: int = 25, m: int = 2, k: int = 3) -> int:
        total, c = 0, 3
        for i, (o, s) in enumerate(zip(STGCN_PRESETS[preset]["channels"], STGCN_PRESETS[preset]["strides"])):
            t_out = math.ceil(t / s)
            total += 2 * c * k * o * t * v + 2 * k * o * t * v * v + 2 * o * o * 9 * t_out * v
            total += 2 * c * o * t_out * v if i > 0 and (c != o or s != 1) else 0
            c, t = o, t_out
        return total * m

    assert count_flops(model, (3, T, 25, 2)) == closed_form("stgcn", T) == 1_823_232_000
    for preset, flops in (("stgcn16", 379_648_000), ("stgcn5", 171_136_000)):
        assert count_flops(build_backbone(preset, NTU25), (3, T, 25, 2)) == closed_form(preset, T) == flops
    assert model.training  # count_flops restores the mode


def test_asma_student_is_under_15_percent_of_the_teacher():
    student = build_backbone("stgcn5", NTU25)
    assert STGCN_PRESETS["stgcn5"] == {"channels": (16, 16, 16, 16, 128), "strides": (1, 1, 1, 1, 2)}
    assert len(student.blocks) == 5 and student.out_dim == 128
    assert student.A.shape[0] == 3 and student.blocks[1].tcn[2].kernel_size == (9, 1)  # spatial 3, temporal 9
    # The teacher (section 3.5): both 16-channel encoders and the feature-alignment module.
    teacher = 2 * count_parameters(build_backbone("stgcn16", NTU25)) + count_parameters(FeatureAlignment(256, 60))
    student_total = count_parameters(student) + count_parameters(LinearHead(128, 60))
    assert (teacher, student_total) == (2_184_516, 186_497)  # x3 streams: 6.55M and 0.56M (paper: 6.3M, 0.54M)
    assert student_total < 0.15 * teacher


def _tied_bigru(quirk: bool):
    """A 1-layer BiGRU whose backward weights equal its forward weights."""
    torch.manual_seed(1)
    model = build_backbone("gru", NTU25, hidden_size=8, num_layers=1, cmd_quirk=quirk).eval()
    with torch.no_grad():
        for pname, p in model.gru.named_parameters():
            if pname.endswith("_reverse"):
                p.copy_(dict(model.gru.named_parameters())[pname[: -len("_reverse")]])
    return model


def test_true_bigru_backward_direction_reads_time_reversed():
    model = _tied_bigru(quirk=False)
    x = torch.randn(2, 3, 10, 25, 2)
    with torch.no_grad():
        out, out_rev = model(x), model(x.flip(2))
    h = model.hidden_size
    torch.testing.assert_close(out[:, h:], out_rev[:, :h])
    torch.testing.assert_close(out[:, :h], out_rev[:, h:])
    assert not torch.allclose(out[:, :h], out_rev[:, :h])


def test_quirk_backward_direction_runs_forward_in_time():
    model = _tied_bigru(quirk=True)
    x = torch.randn(2, 3, 10, 25, 2)
    with torch.no_grad():
        out, out_rev = model(x), model(x.flip(2))
    h = model.hidden_size
    torch.testing.assert_close(out[:, h:], out[:, :h])  # same weights, same direction
    assert not torch.allclose(out[:, h:], out_rev[:, :h])


@pytest.mark.parametrize("quirk", [False, True])
def test_gru_causality(quirk):
    torch.manual_seed(2)
    model = build_backbone("gru", NTU25, hidden_size=8, num_layers=2, cmd_quirk=quirk).eval()
    x = torch.randn(1, 3, 10, 25, 2)
    later = x.clone()
    later[:, :, 9] += 1.0  # change only the last frame
    h = model.hidden_size
    with torch.no_grad():
        a, b = model.forward_frames(x), model.forward_frames(later)
    assert a.shape == (1, 10, 2 * h)
    if quirk:  # both halves, at every layer, only ever see frames 0..t
        torch.testing.assert_close(a[:, :9], b[:, :9])
    else:
        # The true backward half at frame 0 has read the last frame (and, from the
        # second layer on, the forward half too, through the layer below's backward half).
        assert not torch.allclose(a[:, 0, h:], b[:, 0, h:])


def test_gru_quirk_same_parameters_different_function():
    torch.manual_seed(3)
    true = build_backbone("gru", NTU25, hidden_size=8, num_layers=2).eval()
    quirk = build_backbone("gru", NTU25, hidden_size=8, num_layers=2, cmd_quirk=True).eval()
    quirk.load_state_dict(true.state_dict())
    x = torch.randn(2, 3, 6, 25, 2)
    with torch.no_grad():
        assert not torch.allclose(true(x), quirk(x))
    with pytest.raises(ValueError, match="bidirectional"):
        build_backbone("gru", NTU25, bidirectional=False, cmd_quirk=True)


def test_gcn_transformer_token_width_and_memory():
    model = build_backbone("gcn_transformer", NTU25)
    assert model.frame_dim == 3200 and model.out_dim == 768  # 64 x 25 joints x 2 bodies
    small = _build("gcn_transformer", NTU25, 2, {"cross_attention": True}).eval()
    x = torch.randn(2, 3, T, 25, 2)
    memory = torch.randn(2, 7, small.out_dim)
    with torch.no_grad():
        idb, cdb = small(x), small(x, memory=memory)
    assert not torch.allclose(idb, cdb)
    plain = _build("gcn_transformer", NTU25, 2, {})
    with pytest.raises(ValueError, match="memory must be"):
        small(x, memory=memory[:1])
    with pytest.raises(ValueError, match="cross-attention"):
        plain(x, memory=memory)
    with pytest.raises(ValueError, match="max_frames"):
        plain(torch.randn(1, 3, T + 1, 25, 2))
