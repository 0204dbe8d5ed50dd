"""Frames of a stored video file: exactly those of a full sequential decode, on the real clips."""

from __future__ import annotations

import av
import numpy as np
import pytest
from realdata import real_path

from actionkit.data.frame_reader import _seeking, decode_frames


def full_decode(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


@pytest.mark.parametrize("clip", ["demo.mp4", "test.avi"])
def test_any_frames_equal_a_full_sequential_decode(clip):
    path = real_path("videos", clip)
    data, reference = path.read_bytes(), full_decode(path)
    rng = np.random.default_rng(0)
    picks = [rng.integers(0, len(reference), size=8) for _ in range(6)]
    picks += [np.array([len(reference) - 1, 0, 0]), np.arange(len(reference) - 9, len(reference))]
    for wanted in picks:
        np.testing.assert_array_equal(decode_frames(data, wanted), reference[wanted])


def test_mp4_seeks_and_the_frames_around_every_keyframe_are_right():
    path = real_path("videos", "demo.mp4")
    data, reference = path.read_bytes(), full_decode(path)
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
        pts = sorted(p.pts for p in packets)
        keys = [pts.index(p.pts) for p in packets if p.is_keyframe]
    assert len(keys) > 1  # the clip has keyframes to seek to past its start
    for k in keys[1:]:
        wanted = np.array([k - 1, k, k + 1])
        seeked = _seeking(data, wanted, "demo")
        assert seeked is not None, "an MP4 with presentation times takes the seeking path"
        np.testing.assert_array_equal(seeked, reference[wanted])


def test_avi_is_decoded_sequentially():
    data = real_path("videos", "test.avi").read_bytes()
    assert _seeking(data, np.array([100]), "avi") is None  # packed B-frames: times out of display order


def test_errors_name_the_video():
    data = real_path("videos", "demo.mp4").read_bytes()
    with pytest.raises(ValueError, match="clip 7: frame 280 out of range"):
        decode_frames(data, [0, 280], what="clip 7")
    with pytest.raises(ValueError, match="negative"):
        decode_frames(data, [-1], what="clip 7")
    with pytest.raises(ValueError, match="cannot decode"):
        decode_frames(b"not a video at all" * 10, [0], what="clip 7")
