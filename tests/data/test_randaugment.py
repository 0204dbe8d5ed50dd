"""RandAugment and Cutout: every operation runs, and one clip gets one set of parameters."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.data.randaugment import OPS, RandAugment, apply_op, cutout


def clip(t=3, seed=0):
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 255, (1, 24, 32, 3), dtype=np.uint8)
    return frame.repeat(t, axis=0)


@pytest.mark.parametrize("op", OPS)
def test_every_operation_keeps_shape_and_frames_consistent(op):
    frames = clip()
    out = apply_op(frames, op, 9.0, 1.0)
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert (out == out[:1]).all()  # identical frames stay identical
    if op not in ("identity",):
        assert not np.array_equal(out, frames) or op in ("autocontrast",)


def test_known_values():
    frames = np.full((1, 2, 2, 3), 200, np.uint8)
    assert apply_op(frames, "solarize", 5.0, 1.0).max() == 55  # threshold 128: 255 - 200
    assert apply_op(frames, "posterize", 10.0, 1.0).max() == 192  # 4 bits
    assert apply_op(frames, "brightness", 10.0, -1.0).max() == 20  # factor 0.1
    with pytest.raises(KeyError, match="known"):
        apply_op(frames, "blur", 1.0, 1.0)


def test_randaugment_and_cutout_are_clip_consistent():
    rng = np.random.default_rng(1)
    aug = RandAugment(2, (9, 10), cutout=0.5)
    for _ in range(20):
        out = aug({"rgb": clip()}, rng)["rgb"]
        assert (out == out[:1]).all()
    blank = cutout(np.zeros((2, 20, 20, 3), np.uint8), 0.5, rng)
    assert (blank == 128).any() and (blank[0] == blank[1]).all() and (blank == 128).sum() <= 2 * 100 * 3
    with pytest.raises(ValueError, match="RGB clips only"):
        aug({"rgb": clip(), "flow": np.zeros((3, 24, 32, 2), np.uint8)}, rng)
