"""Codecs of encoded streams: a stream's codec name -> the function that decodes its bytes.

A video store records each encoded stream's codec in its attributes (``jpeg``, ``png``:
one image per frame part; ``container``: one video file per sample, as downloaded). The
store reader looks the decoder up here, so the store depends only on this layer, never
on :mod:`actionkit.video`. The decoders import their libraries (OpenCV; decord, PyAV)
on first use, so ``import actionkit.codecs`` costs nothing and a skeleton-only install
never needs them.

Modules:
    :mod:`~actionkit.codecs.images`: JPEG / PNG coding in RGB order (OpenCV).
    :mod:`~actionkit.codecs.video`: frame-accurate decoding of video files (decord, PyAV).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ImageDecoder = Callable[[bytes, str], np.ndarray]
"""``(data, what) -> image``: ``what`` names the bytes' origin in errors."""
VideoDecoder = Callable[[bytes, np.ndarray], np.ndarray]
"""``(data, frame indices) -> uint8 RGB [k, H, W, 3]``."""


def _decode_image(data: bytes, what: str) -> np.ndarray:
    from actionkit.codecs.images import decode_image

    return decode_image(data, what=what)


def _decode_container(data: bytes, frames: np.ndarray) -> np.ndarray:
    from actionkit.codecs.video import read_frames

    return read_frames(data, frames)


#: Codecs of per-frame streams: one encoded image per frame part.
IMAGE_DECODERS: dict[str, ImageDecoder] = {"jpeg": _decode_image, "png": _decode_image}
#: Codecs of per-sample streams: one encoded video file per sample.
VIDEO_DECODERS: dict[str, VideoDecoder] = {"container": _decode_container}


def image_decoder(codec: str) -> ImageDecoder:
    """The decoder of a per-frame stream's images.

    Raises:
        KeyError: an unknown codec (the message lists the known ones).
    """
    return _lookup(IMAGE_DECODERS, "image", codec)


def video_decoder(codec: str) -> VideoDecoder:
    """The decoder of a per-sample stream's video files.

    Raises:
        KeyError: an unknown codec (the message lists the known ones).
    """
    return _lookup(VIDEO_DECODERS, "video", codec)


def _lookup(table: dict, kind: str, codec: str):
    if codec not in table:
        raise KeyError(f"unknown {kind} codec {codec!r}; known: {', '.join(table)}")
    return table[codec]
