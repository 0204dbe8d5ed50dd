"""Short-side resizing and image coding."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.video.images import (
    ImageError,
    decode_image,
    encode_jpeg,
    encode_png,
    resize_short_side,
    resize_to,
    rgb_to_grey,
)


@pytest.mark.parametrize("shape, want", [((480, 640, 3), (256, 341)), ((1080, 1920, 3), (256, 455)),
                                         ((240, 320, 3), (256, 341)), ((640, 360, 3), (455, 256)),
                                         ((256, 340, 3), (256, 340))])
def test_short_side_sizes(shape, want):
    frame = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    assert resize_short_side(frame, 256).shape[:2] == want


def test_unchanged_size_is_returned_as_is_and_bad_interpolation_refused():
    frame = np.zeros((256, 340, 3), np.uint8)
    assert resize_short_side(frame, 256) is frame
    with pytest.raises(ValueError, match="interpolation"):
        resize_to(frame, 10, 10, "cubicish")


def test_depth_nearest_invents_no_values():
    depth = np.zeros((424, 512), np.uint16)
    depth[100:300, 100:250] = 2300
    depth[150:200, 300:400] = 4100
    small = resize_short_side(depth, 64, interpolation="nearest")
    assert small.dtype == np.uint16 and set(np.unique(small)) <= {0, 2300, 4100}


def test_round_trips():
    rng = np.random.default_rng(1)
    depth = rng.integers(0, 8000, (60, 80), dtype=np.uint16)
    np.testing.assert_array_equal(decode_image(encode_png(depth)), depth)
    grey = rng.integers(0, 255, (60, 80), dtype=np.uint8)
    np.testing.assert_array_equal(decode_image(encode_png(grey, 9)), grey)
    smooth = np.stack([*np.meshgrid(np.linspace(0, 255, 80), np.linspace(0, 255, 60)), np.full((60, 80), 90.0)],
                      axis=-1).astype(np.uint8)
    back = decode_image(encode_jpeg(smooth, 95))
    assert back.shape == smooth.shape and np.abs(back.astype(int) - smooth.astype(int)).mean() < 2
    # RGB order survives the OpenCV boundary: a red image stays red.
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    assert decode_image(encode_jpeg(red))[..., 0].min() > 240
    assert rgb_to_grey(red).mean() == pytest.approx(76, abs=1)


def test_corrupt_data_names_its_source():
    data = encode_jpeg(np.random.default_rng(2).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    with pytest.raises(ImageError, match="frame_3_rgb.jpg: corrupt"):
        decode_image(data[: len(data) // 3], what="frame_3_rgb.jpg")
    with pytest.raises(ImageError, match="x: empty"):
        decode_image(b"", what="x")
    with pytest.raises(ValueError, match="uint8"):
        encode_jpeg(np.zeros((4, 4), np.uint16))
