"""Frame-accurate video decoding: decord first, PyAV where decord cannot open a file.

"Frame-accurate" means the frames returned for indices i are the frames a full
sequential decode yields at positions i. Random access (seeking to key frames) is
fast but trusts the container's index; it is used only when the count it reports agrees
with a sequential count. Otherwise, and for PyAV, frames are read by decoding
sequentially up to the last index needed. Every function takes a file path or the
encoded bytes of a video (as a video store holds them). decord and PyAV (the ``video``
extra) are imported on first use.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actionkit.extras import require

BACKENDS = ("auto", "decord", "pyav")


class VideoError(Exception):
    """A video that cannot be decoded as asked; the message names the file and the reason."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds.

    Attributes:
        frames: Frames a full sequential decode yields.
        fps: Average frame rate from the container.
        width, height: Frame size in pixels.
        backend: ``decord`` or ``pyav``, whichever decoded it.
    """

    frames: int
    fps: float
    width: int
    height: int
    backend: str


class _Named(io.BytesIO):
    """Encoded video bytes as a file object that prints as a name in error messages."""

    def __str__(self) -> str:
        return f"<{len(self.getbuffer())} bytes of video>"


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown video backend {backend!r}; valid: {', '.join(BACKENDS)}")


VideoInput = str | Path | bytes


def _exists(path: VideoInput):
    """A path string, or an in-memory file for encoded video bytes (checked for emptiness)."""
    if isinstance(path, (bytes, bytearray, memoryview)):
        if not len(path):
            raise VideoError("<video bytes>: empty (0 bytes)")
        return _Named(bytes(path))
    path = str(path)
    if not Path(path).is_file():
        raise VideoError(f"{path}: no such file")
    if Path(path).stat().st_size == 0:
        raise VideoError(f"{path}: empty file (0 bytes)")
    return path


def _decord_reader(path, threads: int):
    decord = require("decord", "video")

    try:
        return decord.VideoReader(path, num_threads=threads)
    except Exception as exc:  # decord raises its own DECORDError and RuntimeError
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise VideoError(f"{path}: decord cannot open it ({reason})") from None


#: Demuxer warnings that mean the file itself is damaged (a truncated or corrupt packet).
_DAMAGE_WORDS = ("corrupt", "truncat", "partial file", "invalid", "damaged", "error")


def _damage(logs: list[tuple[int, str, str]]) -> str | None:
    """The first FFmpeg log line that reports damage, or None.

    Errors (any component) are damage; so are warnings that say a packet is corrupt or
    the file truncated (FFmpeg's demuxers report those as warnings). Other warnings (an
    inefficient but valid packing, say) are not.
    """
    import av.logging

    for level, name, message in logs:
        text = message.strip()
        if level <= av.logging.ERROR or (level <= av.logging.WARNING and
                                         any(w in text.lower() for w in _DAMAGE_WORDS)):
            return f"{name}: {text}"
    return None


@contextlib.contextmanager
def _ffmpeg_log() -> Iterator[list]:
    """Capture FFmpeg's warnings and errors of this thread (PyAV drops them unless asked)."""
    import av.logging

    level = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)
    try:
        with av.logging.Capture(local=True) as logs:
            yield logs
    finally:
        av.logging.set_level(level)


def _open_pyav(stack: contextlib.ExitStack, path, check_damage: bool):
    """``(container, first video stream, FFmpeg log lines)`` of a video opened with PyAV inside ``stack``.

    The log lines are collected only with ``check_damage`` (an empty list otherwise).

    Raises:
        VideoError: the file cannot be opened or has no video stream.
    """
    av = require("av", "video")
    logs = stack.enter_context(_ffmpeg_log()) if check_damage else []
    try:
        container = stack.enter_context(av.open(path))
    except Exception as exc:
        raise VideoError(f"{path}: cannot open it ({type(exc).__name__}: {exc})") from None
    if not container.streams.video:
        raise VideoError(f"{path}: no video stream")
    return container, container.streams.video[0], logs


def _pyav_frames(path, check_damage: bool = False) -> Iterator[np.ndarray]:
    av = require("av", "video")

    with contextlib.ExitStack() as stack:
        container, stream, logs = _open_pyav(stack, path, check_damage)
        count = 0
        try:
            for frame in container.decode(stream):
                # A decoder reports damage while it decodes, possibly frames ahead of the
                # one it returns (reordering): no frame after a report can be trusted.
                if check_damage and (why := _damage(logs)):
                    raise VideoError(f"{path}: damaged (FFmpeg reported \"{why}\" by frame {count}); "
                                     f"the file is truncated or corrupt: download it again")
                count += 1
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            raise VideoError(f"{path}: decoding failed after {count} frames ({exc})") from None
        if check_damage and (why := _damage(logs)):
            raise VideoError(f"{path}: damaged (FFmpeg reported \"{why}\" after frame {count}); "
                             f"the file is truncated or corrupt: download it again")


def _pyav_info(path, check_damage: bool = False) -> VideoInfo:
    av = require("av", "video")

    with contextlib.ExitStack() as stack:
        container, stream, logs = _open_pyav(stack, path, check_damage)
        fps = float(stream.average_rate) if stream.average_rate else 0.0
        frames = 0
        try:
            for packet in container.demux(stream):
                for _ in packet.decode():
                    frames += 1
        except av.error.FFmpegError as exc:
            raise VideoError(f"{path}: decoding failed after {frames} frames ({exc})") from None
        if check_damage and (why := _damage(logs)):
            raise VideoError(f"{path}: damaged (FFmpeg reported \"{why}\"); the file is truncated or "
                             f"corrupt: download it again")
        return VideoInfo(frames, fps, stream.codec_context.width, stream.codec_context.height, "pyav")


def probe(path: VideoInput, *, backend: str = "auto", check_damage: bool = False) -> VideoInfo:
    """Frame count (of a full sequential decode), frame rate and size of a video.

    Args:
        check_damage: Decode the whole video with PyAV and refuse it if FFmpeg reports
            damage (a truncated file, a corrupt packet).

    Raises:
        VideoError: missing, empty, unopenable, damaged (``check_damage``) or zero-frame video.
    """
    _check_backend(backend)
    if check_damage:
        backend = "pyav"
    path = _exists(path)
    info = None
    if backend in ("auto", "decord"):
        try:
            vr = _decord_reader(path, 1)
            h, w = vr[0].shape[:2] if len(vr) else (0, 0)
            info = VideoInfo(len(vr), float(vr.get_avg_fps()), int(w), int(h), "decord")
        except VideoError:
            if backend == "decord":
                raise
        except Exception as exc:
            if backend == "decord":
                raise VideoError(f"{path}: decord failed ({exc})") from None
    if info is None:
        info = _pyav_info(path, check_damage)
    if info.frames == 0:
        raise VideoError(f"{path}: zero frames")
    return info


def iter_frames(path: VideoInput, *, backend: str = "auto", threads: int = 1,
                check_damage: bool = False) -> Iterator[np.ndarray]:
    """Every frame in order, uint8 RGB ``[H, W, 3]``, one at a time (constant memory).

    Args:
        check_damage: Decode with PyAV and stop with :class:`VideoError` as soon as FFmpeg
            reports damage (``Error at MB``, a corrupt packet, a truncated file): decord
            conceals such errors and returns half-decoded frames. For prepares, which must
            not store a damaged frame.

    Raises:
        VideoError: missing, unopenable, undecodable, damaged (``check_damage``) or
            zero-frame video.
    """
    _check_backend(backend)
    if check_damage:
        backend = "pyav"
    path = _exists(path)
    count = 0
    if backend in ("auto", "decord"):
        try:
            vr = _decord_reader(path, threads)
        except VideoError:
            if backend == "decord":
                raise
        else:
            for i in range(len(vr)):
                try:
                    frame = vr.next().asnumpy()
                except StopIteration:
                    break
                except Exception as exc:
                    raise VideoError(f"{path}: decoding failed at frame {i} ({exc})") from None
                count += 1
                yield frame
            if count == 0:
                raise VideoError(f"{path}: zero frames")
            return
    for frame in _pyav_frames(path, check_damage):
        count += 1
        yield frame
    if count == 0:
        raise VideoError(f"{path}: zero frames")


def read_frames(path: VideoInput, indices: Sequence[int] | np.ndarray, *, backend: str = "auto",
                threads: int = 1) -> np.ndarray:
    """The frames at ``indices`` (any order, repeats allowed), uint8 RGB ``[k, H, W, 3]``.

    Decodes sequentially up to ``max(indices)``, keeping only the frames asked for, so
    the result is what a full sequential decode gives whatever the container's index says.

    Raises:
        VideoError: an index outside the video, or any decoding failure.
    """
    wanted = np.asarray(indices, dtype=np.int64).reshape(-1)
    if len(wanted) == 0:
        raise ValueError("no frame indices given")
    if wanted.min() < 0:
        raise VideoError(f"{path}: negative frame index {int(wanted.min())}")
    need = set(wanted.tolist())
    last = int(wanted.max())
    kept: dict[int, np.ndarray] = {}
    for i, frame in enumerate(iter_frames(path, backend=backend, threads=threads)):
        if i in need:
            kept[i] = frame
        if i == last:
            break
    if last not in kept:
        raise VideoError(f"{path}: frame index {last} out of range ({len(kept) and max(kept) + 1 or 0}+ frames decoded)"
                         if kept else f"{path}: frame index {last} out of range")
    return np.stack([kept[int(i)] for i in wanted])


def read_all(path: VideoInput, *, backend: str = "auto", threads: int = 1) -> np.ndarray:
    """Every frame, uint8 RGB ``[T, H, W, 3]`` (for short clips: it holds the whole video)."""
    return np.stack(list(iter_frames(path, backend=backend, threads=threads)))
