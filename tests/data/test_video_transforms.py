"""Clip transforms: one set of parameters per clip and per sample; flips negate flow x."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.data.video_transforms import (
    CentreCrop,
    ColourJitter,
    Compose,
    HorizontalFlip,
    MultiScaleCrop,
    Resize,
    ShiftedCentreCrop,
    ThreeCrop,
    flip,
    to_tensor_layout,
)


def sample(t=4, h=64, w=80, seed=0):
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 255, (1, h, w, 3), dtype=np.uint8).repeat(t, axis=0)  # identical frames
    flow = rng.integers(0, 255, (1, h, w, 2), dtype=np.uint8).repeat(t, axis=0)
    depth = rng.integers(500, 4000, (1, h, w, 1), dtype=np.uint16).repeat(t, axis=0)
    return {"rgb": rgb, "flow": flow, "depth": depth}


def frames_identical(clip):
    return all((arr == arr[:1]).all() for arr in clip.values())


@pytest.mark.parametrize("transform", [MultiScaleCrop(32), ShiftedCentreCrop(32, 8), HorizontalFlip(0.5),
                                       Compose([MultiScaleCrop(40), HorizontalFlip(), ColourJitter(p=1.0)])])
def test_same_parameters_for_every_frame_and_modality(transform):
    rng = np.random.default_rng(1)
    for _ in range(10):
        clip = sample()
        out = transform(clip, rng)
        assert frames_identical(out)
        assert len({arr.shape[1:3] for arr in out.values()}) == 1
        # The same window in every modality: locate the RGB crop, check flow and depth come from it.
        if isinstance(transform, ShiftedCentreCrop):
            y, x = _locate(clip["rgb"][0], out["rgb"][0])
            assert (out["depth"][0] == clip["depth"][0, y:y + 32, x:x + 32]).all()


def _locate(big, small):
    h, w = small.shape[:2]
    for y in range(big.shape[0] - h + 1):
        for x in range(big.shape[1] - w + 1):
            if (big[y:y + h, x:x + w] == small).all():
                return y, x
    raise AssertionError("crop not found")


def test_flip_mirrors_and_negates_flow_x():
    clip = sample()
    out = flip(clip)
    assert (out["rgb"] == clip["rgb"][:, :, ::-1]).all() and (out["depth"] == clip["depth"][:, :, ::-1]).all()
    assert (out["flow"][..., 0] == 255 - clip["flow"][:, :, ::-1, 0]).all()
    assert (out["flow"][..., 1] == clip["flow"][:, :, ::-1, 1]).all()
    from actionkit.video.flow import dequantize_flow
    f = dequantize_flow(clip["flow"][0, 3, 7])
    g = dequantize_flow(out["flow"][0, 3, 80 - 1 - 7])
    assert g[0] == pytest.approx(-f[0], abs=1e-5) and g[1] == pytest.approx(f[1])
    assert (flip(out)["flow"] == clip["flow"]).all()


def test_colour_changes_rgb_only_and_test_views():
    clip = sample()
    out = ColourJitter(p=1.0)(clip, np.random.default_rng(2))
    assert (out["flow"] == clip["flow"]).all() and (out["depth"] == clip["depth"]).all()
    assert not (out["rgb"] == clip["rgb"]).all()
    centre = CentreCrop(32)(clip)
    assert (centre["rgb"] == clip["rgb"][:, 16:48, 24:56]).all()
    views = ThreeCrop(64)(clip)
    assert [v["rgb"].shape[1:3] for v in views] == [(64, 64)] * 3
    assert (views[2]["flow"] == clip["flow"][:, :, 16:80]).all()


def test_resize_and_tensor_layout():
    clip = Resize(short=32)(sample())
    assert clip["rgb"].shape == (4, 32, 40, 3) and clip["depth"].dtype == np.uint16
    assert set(np.unique(clip["depth"])) <= set(np.unique(sample()["depth"]))  # nearest for depth
    x = to_tensor_layout(clip)
    assert x["rgb"].shape == (3, 4, 32, 40) and x["flow"].shape == (2, 4, 32, 40) and x["rgb"].dtype == np.float32
    assert x["depth"].max() <= 0.5
    with pytest.raises(ValueError, match="differ in frame size"):
        CentreCrop(8)({"rgb": np.zeros((1, 10, 10, 3), np.uint8), "flow": np.zeros((1, 12, 12, 2), np.uint8)})
