"""RGB difference: consecutive differences, the stacked segment input, the stored uint8 map."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.video.rgbdiff import RGBDifference, decode_rgbdiff, encode_rgbdiff, rgb_difference


def test_differences_are_signed_and_exact():
    frames = np.array([[[[0, 255, 10]]], [[[255, 0, 10]]], [[[7, 7, 7]]]], np.uint8)  # [3, 1, 1, 3]
    diff = rgb_difference(frames)
    assert diff.dtype == np.int16 and diff[:, 0, 0].tolist() == [[255, -255, 0], [-248, 7, -3]]
    with pytest.raises(ValueError, match="T >= 2"):
        rgb_difference(frames[:1])


def test_segments_stack_five_differences_along_channels():
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 255, (2 * 6, 4, 5, 3), dtype=np.uint8)
    out = RGBDifference(6)(clip)
    assert out.shape == (2, 15, 4, 5) and out.dtype == np.float32
    # Segment 1 holds frames 6-11; its difference 1 is frame 8 - frame 7; G of it is channel 1 * 3 + 1.
    want = (clip[8, :, :, 1].astype(np.float32) - clip[7, :, :, 1]) / 255
    np.testing.assert_allclose(out[1, 4], want, rtol=1e-6)
    with pytest.raises(ValueError, match="segments"):
        RGBDifference(6)(clip[:10])


def test_stored_map_round_trip():
    d = np.arange(-255, 256, dtype=np.int16)
    levels = encode_rgbdiff(d)
    assert levels.dtype == np.uint8 and levels.min() == 0 and levels.max() == 255
    assert np.abs(decode_rgbdiff(levels) - d).max() <= 1
