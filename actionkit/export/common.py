"""What every export format shares: options, split selection, and bounded sample reading.

A store's samples are read in blocks of consecutive rows (at most :data:`BLOCK_FRAMES`
frames of one stream at a time), normalised and made fixed-length one sample at a time,
so an export holds one block and the output file's pages, never the whole stream.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Full, Queue

import numpy as np

from actionkit.kernels.streams import bone, motion
from actionkit.normalize import get_normalization
from actionkit.store.manifest import checks_enabled
from actionkit.store.reader import Store
from actionkit.store.shards import load_sharded_rows

#: Frames of one stream read per block.
BLOCK_FRAMES = 32768

#: Fixed length of the st-gcn / 2s-AGCN / CMD / CTR-GCN / SGN data files (their ``max_frame``).
DEFAULT_PAD = 300

#: ``motion`` is 2s-AGCN's ``joint_motion``; the others keep their names in file names.
STREAM_FILE_NAMES = {"joint": "joint", "bone": "bone", "motion": "joint_motion"}

Progress = Callable[[int], None]


class ExportError(Exception):
    """An export that cannot be made as asked (a missing split, a wrong kind of store, ...)."""


@dataclass(frozen=True)
class ExportOptions:
    """How samples are chosen and shaped.

    Attributes:
        protocols: Split protocols to export (default: every protocol of the store).
        parts: Parts of each protocol (default: all of them).
        stream: ``joint``, ``motion`` or ``bone``.
        normalize: A name of :data:`actionkit.normalize.NORMALIZATIONS` applied to the
            joints first; ``motion`` / ``bone`` are then derived from the normalised joints.
        frames: Resample every sample to exactly this many frames (evenly spaced frame
            indices, ``int(linspace(0, T - 1, frames))``), for fixed-length formats.
        pad: Otherwise pad every sample with zeros to this many frames (longer samples are
            cut, and the cut is reported); None: the format's default (300).
    """

    protocols: tuple[str, ...] | None = None
    parts: tuple[str, ...] | None = None
    stream: str = "joint"
    normalize: str = "none"
    frames: int | None = None
    pad: int | None = None


@dataclass
class ExportReport:
    """What an export wrote.

    Attributes:
        format: The format's name.
        out: The folder or file written.
        files: Every file written (for a tree of images: the lists only).
        samples: Samples written (counted once per part they appear in).
        bytes: Bytes written.
        notes: Things a user should know (samples cut to the fixed length, ...).
    """

    format: str
    out: Path
    files: list[Path]
    samples: int = 0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


def selected_parts(store: Store, options: ExportOptions) -> list[tuple[str, str, np.ndarray]]:
    """``(protocol, part, sorted indices)`` of every part the options ask for.

    Raises:
        ExportError: the store has no splits, or no such protocol or part.
    """
    if not store.splits:
        raise ExportError(f"{store.path}: the store has no splits to export")
    protocols = options.protocols or tuple(store.splits)
    out = []
    for protocol in protocols:
        if protocol not in store.splits:
            raise ExportError(f"{store.path}: no protocol {protocol!r}; protocols: {', '.join(store.splits)}")
        have = store.splits[protocol]
        parts = options.parts or tuple(have)
        for part in parts:
            if part not in have:
                raise ExportError(f"{store.path}: protocol {protocol} has no part {part!r}; parts: {', '.join(have)}")
            out.append((protocol, part, np.asarray(have[part], dtype=np.int64)))
    return out


def check_skeleton(store: Store, options: ExportOptions) -> None:
    """Refuse a video store or an unknown stream / normalisation before anything is written."""
    if store.kind != "skeleton":
        raise ExportError(f"{store.path}: a {store.kind} store; this format takes skeleton stores "
                          f"(video stores export as rawframes or videolist)")
    if options.stream not in ("joint", "motion", "bone"):
        raise ExportError(f"--stream {options.stream!r}: choose joint, motion or bone")
    if "joint" not in store.stream_names:  # every export can fall back to deriving from joints
        raise ExportError(f"{store.path}: no joint stream (streams: {', '.join(store.stream_names)})")
    try:
        get_normalization(options.normalize)
    except KeyError as exc:
        raise ExportError(str(exc.args[0])) from None


#: Samples per block of a fixed-length export (the rows written at once).
BLOCK_SAMPLES = 1024


def read_runs(store: Store, indices: np.ndarray,
              stream: str) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Consecutive samples of ``indices`` read together: ``(run indices, rows, offsets, frames)``.

    A run is a stretch of samples in store order spanning at most :data:`BLOCK_FRAMES`
    rows (or one longer sample) and :data:`BLOCK_SAMPLES` samples; sample ``k`` of the
    run is ``rows[offsets[k] : offsets[k] + frames[k]]``.
    """
    starts, frames = store.samples["start"], store.samples["frames"]
    read = _row_reader(store, stream)
    i = 0
    while i < len(indices):
        lo = int(starts[indices[i]])
        j = i + 1
        hi = lo + int(frames[indices[i]])
        while j < len(indices) and j - i < BLOCK_SAMPLES:
            s, f = int(starts[indices[j]]), int(frames[indices[j]])
            if s < hi or s + f - lo > BLOCK_FRAMES:  # out of store order, or the block is full
                break
            hi = s + f
            j += 1
        run = np.asarray(indices[i:j], dtype=np.int64)
        yield run, read(lo, hi), starts[run].astype(np.int64) - lo, frames[run].astype(np.int64)
        i = j


def sample_blocks(store: Store, indices: np.ndarray, stream: str) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, [T, M, V, C] array)`` of each sample of ``indices``, in order (read in runs)."""
    for run, rows, offsets, frames in read_runs(store, indices, stream):
        for index, off, n in zip(run, offsets, frames):
            yield int(index), rows[off:off + n]


def prefetched(items: Iterator, depth: int = 1) -> Iterator:
    """``items``, produced on a background thread at most ``depth`` ahead of the consumer."""
    queue: Queue = Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.1)
                return True
            except Full:
                continue
        return False  # the consumer went away

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as exc:  # handed to the consumer, raised there
            put((done, exc))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _row_reader(store: Store, stream: str) -> Callable[[int, int], np.ndarray]:
    """``read(lo, hi)`` of a stream's rows: the direct shard decoder where the layout allows, else zarr."""
    arr = store.stream(stream)
    meta_path = Path(store.path) / stream / "zarr.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if load_sharded_rows(Path(store.path) / stream, meta, 0, 0) is None:
        return lambda lo, hi: arr[lo:hi]
    strict = "manifest" in store.attrs and checks_enabled()  # every chunk written: an absent one is damage
    return lambda lo, hi: load_sharded_rows(Path(store.path) / stream, meta, lo, hi, strict=strict)


class SampleShaper:
    """Turns stored samples into what a format writes: normalised, derived, fixed-length.

    Args:
        store: The store.
        options: The export options.
        fixed: Whether the format is fixed-length (``frames`` / ``pad`` apply).
    """

    def __init__(self, store: Store, options: ExportOptions, fixed: bool):
        self.store = store
        self.options = options
        self.fixed = fixed
        self.length = (options.frames or options.pad or DEFAULT_PAD) if fixed else None
        self.parents = store.layout.parents_array
        params = {}
        if options.normalize == "agcn" and fixed and not options.frames:
            params["pad_to"] = self.length  # 2s-AGCN / CMD data_gen normalise the 300-frame padded array
        self.normalize = None if options.normalize == "none" else get_normalization(options.normalize, **params)
        # Read the stored stream when nothing changes the joints; else derive from them.
        self.read_stream = options.stream if self.normalize is None and options.stream in store.stream_names \
            else "joint"
        self.cut = 0

    def samples(self, indices: np.ndarray) -> Iterator[tuple[int, np.ndarray, int]]:
        """``(index, array, valid frames)`` per sample, in the order of ``indices``.

        Arrays are ``[T, M, V, C]`` float32; for fixed-length formats ``T`` is ``L``.
        """
        for index, x in sample_blocks(self.store, indices, self.read_stream):
            x, t = self.shape(x)
            yield index, x, t

    def blocks(self, indices: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Fixed-length samples in blocks: ``(indices, float32 [B, L, M, V, C], valid frames [B])``.

        Stored samples that only need cutting and zero padding are gathered a block at a
        time (one vectorised copy); anything else goes sample by sample through :meth:`shape`.
        The next block is made on a thread while the caller writes the current one (at
        most two blocks are held), so reading and decoding overlap the writes.
        """
        return prefetched(self._blocks(indices))

    def _blocks(self, indices: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        n = self.length
        if self.normalize is None and not self.options.frames and self.read_stream == self.options.stream:
            steps = np.arange(n)
            for run, rows, offsets, frames in read_runs(self.store, indices, self.read_stream):
                valid = np.minimum(frames, n)
                self.cut += int((frames > n).sum())
                if not len(rows):
                    yield run, np.zeros((len(run), n, *rows.shape[1:]), np.float32), valid
                    continue
                inside = steps[None, :] < valid[:, None]
                out = rows[np.minimum(offsets[:, None] + steps[None, :], len(rows) - 1)]
                out[~inside] = 0
                yield run, out, valid
            return
        batch: list[tuple[int, np.ndarray, int]] = []
        for item in self.samples(indices):
            batch.append(item)
            if len(batch) == BLOCK_SAMPLES:
                yield self._stack(batch)
                batch = []
        if batch:
            yield self._stack(batch)

    @staticmethod
    def _stack(batch: list[tuple[int, np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.array([b[0] for b in batch], np.int64), np.stack([b[1] for b in batch]),
                np.array([b[2] for b in batch], np.int64))

    def shape(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """One sample ``[T, M, V, C]`` -> (exported array, frames of real data in it).

        Padding mode cuts a longer sample first, normalises, derives the stream, then pads
        with zeros (``agcn`` pads itself, looping each body as 2s-AGCN's data_gen does).
        Resampling mode normalises, picks the frames, then derives the stream, so motion is
        the difference of consecutive exported frames.
        """
        t = len(x)
        n = self.length
        pad_mode = self.fixed and not self.options.frames
        if pad_mode and t > n:
            x, t = x[:n], n
            self.cut += 1
        if self.normalize is not None:
            x = self.normalize(x)
        if self.fixed and self.options.frames:
            if t == 0:
                raise ExportError(f"{self.store.path}: a sample has no frames to resample")
            x = x[np.linspace(0, len(x) - 1, n).astype(np.int64)]
            t = n
        x = self._derive(x)
        if not pad_mode or len(x) == n:
            return np.asarray(x, dtype=np.float32), t
        out = np.zeros((n, *x.shape[1:]), dtype=np.float32)
        out[:len(x)] = x
        return out, t

    def _derive(self, x: np.ndarray) -> np.ndarray:
        if self.read_stream == self.options.stream:
            return x
        return motion(x) if self.options.stream == "motion" else bone(x, self.parents)

    def notes(self) -> list[str]:
        if self.cut:
            return [f"{self.cut} samples longer than {self.length} frames were cut to their first {self.length} "
                    f"(--frames {self.length} resamples them instead)"]
        return []


def part_file_name(part: str) -> str:
    """The part names of the st-gcn family's files: the test part is ``val``."""
    return "val" if part == "test" else part


#: The channels of a 2D keypoint store's skeleton streams (a pose estimator's output).
CHANNELS_2D = ("x", "y", "score")


def stream_channels(store: Store, stream: str = "joint") -> tuple[str, ...]:
    """The channel names of a skeleton stream: ``("x", "y", "z")`` unless the store says otherwise."""
    return tuple(store.attrs.get("streams", {}).get(stream, {}).get("channels", ("x", "y", "z")))
