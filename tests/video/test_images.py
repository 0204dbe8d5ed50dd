"""Resizing and JPEG / PNG coding of frames."""

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


def test_png_round_trips_exactly():
    for image in (random_image((60, 80), np.uint16, 65536), random_image((60, 80)),
                  random_image((60, 80, 3), seed=1)):
        for level in (0, 1, 9):
            back = decode_image(encode_png(image, level))
            assert back.dtype == image.dtype
            np.testing.assert_array_equal(back, image)


def test_jpeg_round_trip_is_close_and_keeps_rgb_order():
    y, x = np.mgrid[0:60, 0:80]
    smooth = np.stack([x * 3, y * 4, np.full_like(x, 90)], axis=-1).astype(np.uint8)
    back = decode_image(encode_jpeg(smooth, 95))
    assert back.shape == smooth.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - smooth).mean() < 1.5
    grey = smooth[..., 0]
    back = decode_image(encode_jpeg(grey))
    assert back.shape == grey.shape and np.abs(back.astype(int) - grey).mean() < 1.5
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    out = decode_image(encode_jpeg(red))
    assert out[..., 0].min() > 240 and out[..., 2].max() < 15
    assert abs(int(rgb_to_grey(red).mean()) - 76) <= 1  # 0.299 * 255: the R weight, not B's


def test_encoders_refuse_what_they_cannot_store():
    with pytest.raises(ValueError, match="uint8"):
        encode_jpeg(np.zeros((4, 4), np.uint16))
    with pytest.raises(ValueError, match="uint8 or uint16"):
        encode_png(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        encode_png(np.zeros((4, 4, 2), np.uint8))


def test_corrupt_or_empty_data_raise_with_the_source_named():
    data = encode_jpeg(random_image((64, 64, 3)))
    with pytest.raises(ImageError, match="^view_1/frame_3_rgb.jpg: corrupt"):
        decode_image(data[: len(data) // 3], what="view_1/frame_3_rgb.jpg")
    png = encode_png(random_image((64, 64), np.uint16, 4000))
    with pytest.raises(ImageError, match="^depth 7: corrupt"):
        decode_image(png[:-20], what="depth 7")
    with pytest.raises(ImageError, match="^x.png: empty"):
        decode_image(b"", what="x.png")
    with pytest.raises(ImageError, match="^image: corrupt"):
        decode_image(b"not an image at all")
