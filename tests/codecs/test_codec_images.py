"""JPEG / PNG coding of frames, and the codec table the store reader decodes with."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.codecs import image_decoder, video_decoder
from actionkit.codecs.images import ImageError, decode_image, encode_jpeg, encode_png


def random_image(shape: tuple[int, ...], dtype=np.uint8, high: int = 256, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, shape, dtype=dtype)


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


def test_codec_table_decodes_by_stream_codec_and_refuses_unknown_names():
    image = random_image((20, 30, 3))
    np.testing.assert_array_equal(image_decoder("png")(encode_png(image), "x"), image)
    assert image_decoder("jpeg")(encode_jpeg(image), "x").shape == image.shape
    with pytest.raises(KeyError, match="unknown image codec 'webp'; known: jpeg, png"):
        image_decoder("webp")
    with pytest.raises(KeyError, match="unknown video codec 'png'; known: container"):
        video_decoder("png")
    with pytest.raises(ImageError, match="^where: empty"):
        image_decoder("png")(b"", "where")
