"""RGB difference: exact signed differences, the stacked segment input, the stored uint8 map."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.video.rgbdiff import (
    RGBDifference,
    decode_rgbdiff,
    encode_rgbdiff,
    rgb_difference,
)


def test_differences_are_signed_and_do_not_overflow():
    frames = np.array([[[[0, 255, 10]]], [[[255, 0, 10]]], [[[7, 7, 7]]]], np.uint8)  # [3, 1, 1, 3]
    diff = rgb_difference(frames)
    assert diff.dtype == np.int16 and diff.shape == (2, 1, 1, 3)
    assert diff[:, 0, 0].tolist() == [[255, -255, 0], [-248, 7, -3]]


def test_difference_refuses_bad_input():
    frames = np.zeros((3, 2, 2, 3), np.uint8)
    with pytest.raises(ValueError, match="T >= 2"):
        rgb_difference(frames[:1])
    with pytest.raises(ValueError, match="uint8"):
        rgb_difference(frames.astype(np.float32))


def test_segments_stack_differences_along_channels():
    clip = np.random.default_rng(0).integers(0, 256, (2 * 6, 4, 5, 3), dtype=np.uint8)
    out = RGBDifference()(clip)
    assert out.shape == (2, 15, 4, 5) and out.dtype == np.float32 and out.flags.c_contiguous
    assert -1.0 <= out.min() and out.max() <= 1.0
    diffs = rgb_difference(clip)  # [11, 4, 5, 3]; the one across segments (5 -> 6) is not used
    for s in range(2):
        for k in range(5):
            for c in range(3):
                np.testing.assert_allclose(out[s, 3 * k + c], diffs[6 * s + k, :, :, c] / 255.0, rtol=1e-6)


def test_scale_and_segment_length():
    clip = np.random.default_rng(1).integers(0, 256, (3 * 4, 2, 2, 3), dtype=np.uint8)
    raw = RGBDifference(num_frames=4, scale=1.0)(clip)
    assert raw.shape == (3, 9, 2, 2)
    np.testing.assert_array_equal(raw[2, 6:9], rgb_difference(clip[10:12])[0].transpose(2, 0, 1))
    with pytest.raises(ValueError, match=r"segments \* 6"):
        RGBDifference()(clip[:10])
    with pytest.raises(ValueError, match="at least 2"):
        RGBDifference(num_frames=1)


def test_stored_map_is_exact_on_even_values_and_within_one_bit():
    d = np.arange(-255, 256, dtype=np.int16)
    levels = encode_rgbdiff(d)
    assert levels.dtype == np.uint8 and levels[0] == 0 and levels[-1] == 255 and levels[255] == 128
    back = decode_rgbdiff(levels)
    assert back.dtype == np.int16
    assert set((d - back).tolist()) == {0, 1}  # the dropped bit: rounded down to even
    np.testing.assert_array_equal(back[d % 2 == 0], d[d % 2 == 0])
    np.testing.assert_array_equal(encode_rgbdiff(back), levels)
    with pytest.raises(ValueError, match="-255..255"):
        encode_rgbdiff(np.array([256], np.int16))


def test_stored_map_on_real_frame_differences():
    frames = np.random.default_rng(2).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    diff = rgb_difference(frames)[0]
    levels = encode_rgbdiff(diff)
    assert levels.shape == diff.shape
    assert np.abs(decode_rgbdiff(levels) - diff).max() <= 1
