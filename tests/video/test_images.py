"""Resizing frames to a short side, and RGB to grey."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.video.images import resize_short_side, resize_to, rgb_to_grey


def random_image(shape: tuple[int, ...], dtype=np.uint8, high: int = 256, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, shape, dtype=dtype)


@pytest.mark.parametrize("hw, want", [
    ((480, 640), (256, 341)),    # 4:3, shrunk
    ((1080, 1920), (256, 455)),  # 16:9, shrunk
    ((240, 320), (256, 341)),    # enlarged
    ((640, 360), (455, 256)),    # portrait
    ((256, 256), (256, 256)),
])
def test_short_side_sizes(hw, want):
    for frame in (random_image((*hw, 3)), random_image(hw), random_image(hw, np.uint16, 5000)):
        out = resize_short_side(frame, 256, interpolation="nearest" if frame.dtype == np.uint16 else "area")
        assert out.shape[:2] == want and out.dtype == frame.dtype and out.ndim == frame.ndim


def test_frame_already_at_size_is_returned_unchanged():
    frame = random_image((256, 340, 3))
    assert resize_short_side(frame, 256) is frame
    assert resize_to(frame, 340, 256) is frame
    assert resize_to(frame, 340, 256, "nearest") is frame


def test_fixed_size_and_bad_arguments():
    frame = random_image((480, 640, 3))
    assert resize_to(frame, 340, 256).shape == (256, 340, 3)
    with pytest.raises(ValueError, match="interpolation 'cubic'"):
        resize_to(frame, 340, 256, "cubic")
    with pytest.raises(ValueError, match="short side of 0"):
        resize_short_side(frame, 0)


def test_area_enlarging_falls_back_to_linear():
    ramp = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (10, 1))  # [10, 25], steps of 10
    area = resize_to(ramp, 100, 40, "area")
    linear = resize_to(ramp, 100, 40, "linear")
    np.testing.assert_array_equal(area, linear)
    assert len(np.unique(area)) > len(np.unique(ramp))  # blended, not copied like nearest


def test_depth_nearest_keeps_only_existing_values():
    depth = np.zeros((424, 512), np.uint16)
    depth[100:300, 100:250] = 2300
    depth[150:200, 300:400] = 4100
    for short in (64, 256, 600):  # shrinking and enlarging
        out = resize_short_side(depth, short, interpolation="nearest")
        assert out.dtype == np.uint16 and set(np.unique(out).tolist()) == {0, 2300, 4100}
    blurred = resize_short_side(depth, 64, interpolation="area")
    assert len(set(np.unique(blurred).tolist()) - {0, 2300, 4100}) > 0  # what nearest avoids


def test_grey_uses_the_red_weight_on_red():
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    assert abs(int(rgb_to_grey(red).mean()) - 76) <= 1  # 0.299 * 255: the R weight, not B's
