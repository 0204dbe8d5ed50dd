"""Frame-accurate decoding: decord and PyAV agree with a full sequential decode."""

from __future__ import annotations

import shutil

import av
import cv2
import numpy as np
import pytest
from realdata import real_path

from actionkit.codecs.video import VideoError, iter_frames, probe, read_all, read_frames

CLIPS = {  # file: (frames, width, height, fps)
    "demo.mp4": (280, 340, 256, 28.0),
    "test.avi": (164, 320, 240, 25.0),
    "S001C001P001R001A001_rgb.avi": (103, 1920, 1080, 30.0),
}


def sequential(path, upto=None):
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out.append(frame.to_ndarray(format="rgb24"))
            if upto is not None and len(out) > upto:
                break
    return out


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_probe(clip, backend):
    frames, width, height, fps = CLIPS[clip]
    info = probe(real_path("videos", clip), backend=backend)
    assert (info.frames, info.width, info.height) == (frames, width, height)
    assert info.fps == pytest.approx(fps, abs=0.01)
    assert info.backend == ("pyav" if backend == "pyav" else "decord")


@pytest.mark.parametrize("clip", ["demo.mp4", "test.avi"])
@pytest.mark.parametrize("backend", ["auto", "pyav"])
def test_segment_frames_equal_a_sequential_decode(clip, backend):
    path = real_path("videos", clip)
    total = CLIPS[clip][0]
    reference = sequential(path)
    segments = (np.arange(8) * total / 8 + total / 16).astype(int)
    got = read_frames(path, segments, backend=backend)
    np.testing.assert_array_equal(got, np.stack([reference[i] for i in segments]))
    shuffled = [segments[5], 0, segments[5], total - 1, 3]
    np.testing.assert_array_equal(read_frames(path, shuffled, backend=backend),
                                  np.stack([reference[i] for i in shuffled]))
    assert sum(1 for _ in iter_frames(path, backend=backend)) == total


def test_last_frames_of_the_ntu_video_are_exact():
    # decord's random access (get_batch) returned a different last frame for this file;
    # read_frames decodes sequentially, so it matches the sequential decode.
    path = real_path("videos", "S001C001P001R001A001_rgb.avi")
    reference = sequential(path)
    got = read_frames(path, [102, 0, 101])
    np.testing.assert_array_equal(got, np.stack([reference[102], reference[0], reference[101]]))


def test_bad_files_are_named(tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        probe(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.avi"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty.avi: empty file"):
        list(iter_frames(empty))
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(real_path("videos", "demo.mp4").read_bytes()[:2048])
    with pytest.raises(VideoError, match="truncated.mp4"):
        list(iter_frames(truncated))
    copy = tmp_path / "clip.avi"
    shutil.copyfile(real_path("videos", "test.avi"), copy)
    with pytest.raises(VideoError, match="clip.avi: frame index 164 out of range"):
        read_frames(copy, [3, 164])
    with pytest.raises(ValueError, match="backend"):
        probe(copy, backend="ffmpeg")


def test_self_made_video_order_and_count(tmp_path):
    path = tmp_path / "ten.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for t in range(10):
        writer.write(np.full((48, 64, 3), 20 * t + 10, np.uint8))
    writer.release()
    frames = read_all(path)
    assert frames.shape == (10, 48, 64, 3)
    np.testing.assert_allclose(frames.reshape(10, -1).mean(axis=1), 20 * np.arange(10) + 10, atol=3)
    assert probe(path).frames == 10
