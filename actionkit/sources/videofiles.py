"""Video files of a raw download as paths a decoder can open, also when they sit in a zip archive."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import PurePosixPath

from actionkit.sources.base import SampleError
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
