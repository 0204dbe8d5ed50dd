"""The frames a clip needs, decoded from a stored video file (a store's ``video`` stream).

Stores of Kinetics-400 and Something-Something keep each clip as the encoded file it was
downloaded as (``prepare --streams video``). A training clip needs a few frames of it;
:func:`decode_frames` decodes only as far as the last of them and converts only the
frames asked for to RGB (the conversion costs about as much as the decode). In MP4, MOV
and Matroska files, whose packets carry reliable presentation times, it also seeks to the
keyframe before the first wanted frame (one keyframe earlier where that keyframe's group
has frames shown before it: an open GOP, whose leading frames reference the previous
group) and decodes from there, matching frames to display indices by their presentation
time. Every other container (AVI: its packed B-frames carry times out of display order),
and any file whose frames do not match its packets one to one, is decoded sequentially
from the start. Either way frame ``i`` is the ``i``-th frame a full sequential decode
gives, the frame the store's ``frames`` count and :meth:`Store.images` refer to.

The decoder runs one thread: it is called in the data loader's worker processes, which
are the parallelism.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import av
import numpy as np

__all__ = ["decode_frames", "SEEKABLE_FORMATS"]

#: Container formats (PyAV ``format.name``) whose packet times order frames for display.
SEEKABLE_FORMATS = ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm")


def _packets(container: av.container.InputContainer, stream) -> list[tuple[int | None, bool]]:
    """``(pts, is_keyframe)`` of every non-empty packet, in decode order (demuxing only)."""
    return [(p.pts, bool(p.is_keyframe)) for p in container.demux(stream) if p.size]


def _start_pts(packets: list[tuple[int | None, bool]], first_wanted_pts: int) -> int | None:
    """Presentation time of the keyframe to start decoding at, or None for the file's start.

    The last keyframe (decode order) shown at or before the first wanted frame; one
    keyframe earlier if its group is open (a later packet of the group is shown before it).
    """
    keys = [i for i, (pts, key) in enumerate(packets) if key and pts is not None and pts <= first_wanted_pts]
    if not keys:
        return None
    k = keys[-1]
    nxt = next((j for j in range(k + 1, len(packets)) if packets[j][1]), len(packets))
    if any(pts is not None and pts < packets[k][0] for pts, _ in packets[k + 1:nxt]):
        earlier = [i for i in keys if i < k]
        if not earlier:
            return None
        k = earlier[-1]
    return None if k == 0 else int(packets[k][0])


def _sequential(data: bytes, wanted: np.ndarray, what: str) -> np.ndarray:
    need = set(wanted.tolist())
    last = int(wanted.max())
    kept: dict[int, np.ndarray] = {}
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        stream.thread_count = 1
        for i, frame in enumerate(container.decode(stream)):
            if i in need:
                kept[i] = frame.to_ndarray(format="rgb24")
            if i >= last:
                break
    if last not in kept:
        raise ValueError(f"{what}: frame {last} out of range ({len(kept) and max(kept) + 1} frames decoded)")
    return np.stack([kept[int(i)] for i in wanted])


def _seeking(data: bytes, wanted: np.ndarray, what: str) -> np.ndarray | None:
    """The seek path, or None where the file does not allow it (then decode sequentially)."""
    with av.open(io.BytesIO(data)) as container:
        if container.format.name not in SEEKABLE_FORMATS or not container.streams.video:
            return None
        stream = container.streams.video[0]
        packets = _packets(container, stream)
        if not packets or any(pts is None for pts, _ in packets):
            return None
        order = np.sort(np.array([pts for pts, _ in packets], dtype=np.int64))
        if len(np.unique(order)) != len(order) or int(wanted.max()) >= len(order):
            return None
        want_pts = {int(order[i]): int(i) for i in np.unique(wanted)}
        start = _start_pts(packets, min(want_pts))
        stream.thread_count = 1
        container.seek(0 if start is None else start, stream=stream, backward=True, any_frame=False)
        kept: dict[int, np.ndarray] = {}
        previous = None
        for frame in container.decode(stream):
            if frame.pts is None or (previous is not None and frame.pts <= previous):
                return None  # times out of display order: not a file this path can trust
            if previous is None and start is not None and frame.pts > start:
                return None  # the seek overshot
            previous = frame.pts
            index = want_pts.get(int(frame.pts))
            if index is not None:
                kept[index] = frame.to_ndarray(format="rgb24")
                if len(kept) == len(want_pts):
                    break
        if len(kept) != len(want_pts):
            return None
    return np.stack([kept[int(i)] for i in wanted])


def decode_frames(data: bytes, frames: Sequence[int] | np.ndarray, *, what: str = "video") -> np.ndarray:
    """Frames of an encoded video file by display index (any order, repeats allowed).

    Args:
        data: The encoded file's bytes.
        frames: Display indices, 0-based.
        what: Names the video in errors (e.g. ``store sample 3``).

    Returns:
        uint8 RGB ``[k, H, W, 3]``, identical to those frames of a full sequential decode.

    Raises:
        ValueError: no index, a negative one, one past the end, or an undecodable file.
    """
    wanted = np.asarray(frames, dtype=np.int64).reshape(-1)
    if not len(wanted):
        raise ValueError(f"{what}: no frame indices given")
    if wanted.min() < 0:
        raise ValueError(f"{what}: negative frame index {int(wanted.min())}")
    try:
        out = _seeking(data, wanted, what)
        return _sequential(data, wanted, what) if out is None else out
    except av.error.FFmpegError as exc:
        raise ValueError(f"{what}: cannot decode ({exc})") from None
