"""RandAugment and Cutout: every operation runs, and one clip gets one set of parameters."""

from __future__ import annotations

import cv2
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
    if op == "identity":
        assert np.array_equal(out, frames)
    else:
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


# ----------------------------------------------------------------------------- per-operation references
# Each operation at magnitude 10 against its definition (module docstring), computed here by hand.
def spike(h=24, w=32, y=8, x=10, t=2) -> np.ndarray:
    """Black frames with one white pixel at ``(y, x)``."""
    frames = np.zeros((t, h, w, 3), np.uint8)
    frames[:, y, x] = 255
    return frames


def peak(frames: np.ndarray) -> tuple[int, int]:
    return tuple(int(v) for v in np.unravel_index(frames[0, ..., 0].argmax(), frames.shape[1:3]))


def test_autocontrast_stretches_each_channel_to_the_full_range():
    frames = np.stack([np.full((2, 4, 4), v, np.uint8) for v in (40, 90, 140)], axis=-1)
    frames[:, 0, 0] = (60, 100, 200)
    out = apply_op(frames, "autocontrast", 10.0, 1.0)
    for c, (lo, hi) in enumerate(((40, 60), (90, 100), (140, 200))):
        expected = np.round((frames[..., c].astype(float) - lo) * 255 / (hi - lo))
        np.testing.assert_allclose(out[..., c], expected, atol=1)


def test_equalize_spreads_equally_frequent_levels_evenly():
    levels = np.array([10, 20, 30, 40], np.uint8)
    frames = np.repeat(levels, 6).reshape(1, 4, 6, 1).repeat(3, axis=-1)  # each level on a quarter of the pixels
    out = apply_op(frames, "equalize", 10.0, 1.0)
    np.testing.assert_array_equal(np.unique(out), [0, 85, 170, 255])
    np.testing.assert_array_equal(out[0, :, 0, 0], [0, 85, 170, 255])
    # One frame: per channel, OpenCV's histogram equalisation.
    rng = np.random.default_rng(4)
    frame = rng.integers(30, 200, (1, 40, 50, 3)).astype(np.uint8)
    out = apply_op(frame, "equalize", 10.0, 1.0)
    for c in range(3):
        np.testing.assert_allclose(out[0, ..., c], cv2.equalizeHist(np.ascontiguousarray(frame[0, ..., c])), atol=1)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_rotate_turns_about_the_centre_by_30_degrees(sign):
    h, w, y, x = 24, 32, 6, 22
    out = apply_op(spike(h, w, y, x), "rotate", 10.0, sign)
    theta = np.deg2rad(30 * sign)  # counter-clockwise on screen for a positive angle (y points down)
    dx, dy = x - w / 2, y - h / 2
    expected = (h / 2 - dx * np.sin(theta) + dy * np.cos(theta), w / 2 + dx * np.cos(theta) + dy * np.sin(theta))
    assert np.abs(np.subtract(peak(out), expected)).max() <= 1.0
    assert out[0, 0, 0, 0] == 128  # uncovered corners are grey


@pytest.mark.parametrize(("op", "sign"), [("shear_x", 1.0), ("shear_x", -1.0), ("shear_y", 1.0), ("shear_y", -1.0)])
def test_shear_moves_pixels_by_0_3_per_pixel_from_the_centre_line(op, sign):
    h, w, y, x = 24, 32, 20, 6
    out = apply_op(spike(h, w, y, x), op, 10.0, sign)
    s = 0.3 * sign
    expected = (y, x + s * (y - h / 2)) if op == "shear_x" else (y + s * (x - w / 2), x)
    assert np.abs(np.subtract(peak(out), expected)).max() <= 1.0


@pytest.mark.parametrize(("op", "sign"), [("translate_x", 1.0), ("translate_x", -1.0), ("translate_y", 1.0),
                                          ("translate_y", -1.0)])  # fmt: skip
def test_translate_shifts_by_0_3_of_the_side(op, sign):
    h, w, y, x = 20, 30, 10, 15
    out = apply_op(spike(h, w, y, x), op, 10.0, sign)
    expected = (y, x + int(9 * sign)) if op == "translate_x" else (y + int(6 * sign), x)
    assert peak(out) == expected and out[0, ..., 0].max() == 255
    edge = (slice(None), slice(0, 9) if sign > 0 else slice(-9, None)) if op == "translate_x" else \
        (slice(0, 6) if sign > 0 else slice(-6, None), slice(None))
    assert (out[0][edge] == 128).all()  # the uncovered band is grey


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_color_blends_with_the_luma_grey(sign):
    rng = np.random.default_rng(2)
    frames = rng.integers(0, 256, (2, 5, 6, 3), dtype=np.uint8)
    out = apply_op(frames, "color", 10.0, sign)
    grey = frames.astype(float) @ np.array([0.299, 0.587, 0.114])
    expected = np.clip(grey[..., None] + (1 + 0.9 * sign) * (frames - grey[..., None]), 0, 255)
    np.testing.assert_allclose(out, expected, atol=1)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_contrast_blends_with_the_clip_mean(sign):
    rng = np.random.default_rng(3)
    frames = rng.integers(60, 200, (2, 5, 6, 3), dtype=np.uint8)
    out = apply_op(frames, "contrast", 10.0, sign)
    mean = frames.astype(float).mean()
    np.testing.assert_allclose(out, np.clip(mean + (1 + 0.9 * sign) * (frames - mean), 0, 255), atol=1)


@pytest.mark.parametrize(("sign", "centre", "neighbour"), [(1.0, 202, 0), (-1.0, 58, 9)])
def test_sharpness_blends_with_the_3x3_smoothing(sign, centre, neighbour):
    frames = np.zeros((1, 7, 7, 3), np.uint8)
    frames[0, 3, 3] = 130
    out = apply_op(frames, "sharpness", 10.0, sign)
    # smoothing [[1,1,1],[1,5,1],[1,1,1]] / 13: 50 at the spike, 10 beside it; out = smooth + f (x - smooth)
    assert out[0, 3, 3, 0] == centre and out[0, 3, 4, 0] == neighbour and out[0, 0, 0, 0] == 0
