"""Video files of a raw download: paths a decoder can open (also inside zip archives), frame
rates, and lazily decoded frames with decoding errors reported as :class:`SampleError`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import PurePosixPath

import numpy as np

from actionkit.sources.base import SampleError, VideoClip
from actionkit.sources.rawfiles import RawFile, read_raw


@contextlib.contextmanager
def local_video(file: RawFile) -> Iterator[str]:
    """A filesystem path to ``file``: the file itself, or a temporary copy of a zip member.

    Decoders (decord, FFmpeg) need a path; a member of a zip archive is copied to a
    temporary file (same suffix, so the container is recognised) and removed afterwards.

    Raises:
        SampleError: the zip member cannot be read.
    """
    if not file.archive:
        yield file.path
        return
    try:
        data = read_raw(file)
    except OSError as exc:
        raise SampleError(str(exc)) from None
    fd, tmp = tempfile.mkstemp(suffix=PurePosixPath(file.path).suffix, prefix="actionkit-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield tmp
    finally:
        os.unlink(tmp)


def video_fps(file: RawFile) -> float:
    """The frame rate a video's container reports.

    Raises:
        SampleError: the video cannot be opened (the reason names the file).
    """
    from actionkit.codecs.video import VideoError, probe

    with local_video(file) as path:
        try:
            return probe(path).fps
        except VideoError as exc:
            raise SampleError(str(exc)) from None


def video_frames(file: RawFile) -> Iterator[np.ndarray]:
    """Every frame of a video, uint8 RGB ``[H, W, 3]``, decoded as the iterator is consumed.

    Raises:
        SampleError: while iterating, when decoding fails or FFmpeg reports damage (a
            truncated file, a corrupt packet): the reason names the file and quotes FFmpeg.
    """
    from actionkit.codecs.video import VideoError, iter_frames

    with local_video(file) as path:
        try:
            yield from iter_frames(path, check_damage=True)  # never store a half-decoded frame
        except VideoError as exc:
            raise SampleError(str(exc)) from None


def video_clip(file: RawFile) -> VideoClip:
    """A single-file RGB video as a :class:`VideoClip` (frame rate probed now, frames decoded lazily)."""
    return VideoClip(video_fps(file), {"rgb": video_frames(file)})
