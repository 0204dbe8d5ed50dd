"""Reading canonical stores: ``actionkit.open_store(path)``, numpy only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from actionkit.codecs import image_decoder, video_decoder
from actionkit.layouts import Layout
from actionkit.store.errors import DamagedStoreError, IncompleteStoreError, SchemaVersionError, StoreError
from actionkit.store.manifest import check_objects, checks_enabled
from actionkit.store.schema import ATTRS_KEY, READABLE_VERSIONS, REMEDY, SAMPLES_GROUP, SPLITS_GROUP, decode_names
from actionkit.store.shards import load_sharded


def layout_to_attrs(layout: Layout) -> dict[str, Any]:
    """A layout as JSON-able store attributes (enough to rebuild it without actionkit)."""
    return {
        "name": layout.name,
        "joint_names": list(layout.joint_names),
        "parents": list(layout.parents),
        "center": layout.center,
        "flip_pairs": [list(p) for p in layout.flip_pairs],
    }


def layout_from_attrs(attrs: dict[str, Any]) -> Layout:
    return Layout(
        name=attrs["name"],
        joint_names=tuple(attrs["joint_names"]),
        parents=tuple(attrs["parents"]),
        center=attrs["center"],
        flip_pairs=tuple(tuple(p) for p in attrs.get("flip_pairs", ())),
    )


class Store:
    """A canonical store opened for reading.

    Attributes:
        path: The store's folder.
        attrs: The root attributes (the ``actionkit`` key).
        samples: Sample fields, each ``[N]``: ``name``, ``label``, ``frames``, ``start``
            and the dataset's ids.
        splits: ``{protocol: {part: sorted int32 indices}}``.
    """

    def __init__(self, path: Path, group: zarr.Group, attrs: dict[str, Any]):
        self.path = path
        self._group = group
        self.attrs = attrs
        self.samples: dict[str, np.ndarray] = {}
        if SAMPLES_GROUP in group:
            try:
                arrays = sorted(group[SAMPLES_GROUP].arrays())
            except Exception as exc:  # unparsable metadata (a store opened without checks)
                raise DamagedStoreError(f"{path / SAMPLES_GROUP}: unreadable array metadata ({exc}); "
                                        + REMEDY.format(path=path)) from exc
            for name, arr in arrays:
                values = self._read_whole(f"{SAMPLES_GROUP}/{name}", arr)
                # Schema 2 stores names as UTF-8 bytes [N, L]; schema 1 as Zarr strings.
                self.samples[name] = decode_names(values) if name == "name" and values.ndim == 2 else values
        self.splits: dict[str, dict[str, np.ndarray]] = {}
        if SPLITS_GROUP in group:
            for protocol, pgroup in sorted(group[SPLITS_GROUP].groups()):
                self.splits[protocol] = {part: self._read_whole(f"{SPLITS_GROUP}/{protocol}/{part}", arr)
                                         for part, arr in sorted(pgroup.arrays())}

    def _read_whole(self, array: str, arr: zarr.Array) -> np.ndarray:
        try:
            return arr[:]
        except Exception as exc:  # a checksum mismatch or an undecodable chunk
            raise DamagedStoreError(f"{self.path}: array {array} is unreadable ({type(exc).__name__}: {exc}); "
                                    + REMEDY.format(path=self.path)) from exc

    def _damaged(self, stream: str, index: int, exc: Exception) -> DamagedStoreError:
        rows = self.frames_of(index)
        return DamagedStoreError(
            f"{self.path}: stream {stream}, sample {index} ({self.samples['name'][index]}, frames "
            f"{rows.start}-{rows.stop - 1}) is unreadable ({type(exc).__name__}: {exc}); "
            + REMEDY.format(path=self.path))

    # ------------------------------------------------------------------ metadata
    @property
    def dataset(self) -> str:
        return self.attrs["dataset"]

    @property
    def kind(self) -> str:
        return self.attrs["kind"]

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.attrs["classes"])

    @property
    def layout(self) -> Layout:
        return layout_from_attrs(self.attrs["layout"])

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(self.attrs["streams"])

    @property
    def complete(self) -> bool:
        return bool(self.attrs.get("complete"))

    def __len__(self) -> int:
        return len(self.samples.get("name", ()))

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, dataset={self.attrs.get('dataset')!r}, samples={len(self)})"

    # ------------------------------------------------------------------ data
    def stream(self, name: str) -> zarr.Array:
        """A per-frame stream, lazily (slice it to get numpy).

        For an encoded (video) stream this is its per-frame index, int64
        ``[frames, parts, 2]`` (byte offset, byte length); :meth:`images` decodes frames.
        """
        spec = self.attrs.get("streams", {}).get(name)
        if spec is None:
            raise KeyError(f"{self.path}: no stream {name!r}; streams: {list(self.attrs.get('streams', {}))}")
        return self._group[spec["index"]] if spec.get("encoded") else self._group[name]

    def is_encoded(self, name: str) -> bool:
        """Whether stream ``name`` holds encoded images (a video stream)."""
        return bool(self.attrs["streams"].get(name, {}).get("encoded"))

    def encoded(self, index: int, name: str, frames: np.ndarray | list[int] | None = None) -> list[tuple[bytes, ...]]:
        """The encoded images of some frames of one sample.

        Args:
            index: Sample index.
            name: An encoded stream (``rgb``, ``depth``, ``flow``, ...).
            frames: Frame indices within the sample (default: all), any order.

        Returns:
            One tuple of ``parts`` encoded images per requested frame (``b""`` where a
            frame has none, e.g. the last frame of ``flow``); for a per-sample stream
            (``video``), one tuple holding the sample's encoded video file.
        """
        if not self.is_encoded(name):
            raise KeyError(f"{self.path}: {name!r} is not an encoded stream")
        if self.attrs["streams"][name].get("per_sample"):
            try:
                return read_records(self._blob(name), self.stream(name)[index % len(self)][None])
            except Exception as exc:  # a checksum mismatch: name the sample, not zarr's internals
                raise self._damaged(name, index % len(self), exc) from exc
        rows = self.frames_of(index)
        n = rows.stop - rows.start
        wanted = np.arange(n) if frames is None else np.asarray(frames, dtype=np.int64).reshape(-1)
        if len(wanted) and (wanted.min() < -n or wanted.max() >= n):
            raise IndexError(f"{self.path}: frame indices {wanted.tolist()} out of range for sample {index} "
                             f"({n} frames)")
        wanted %= max(n, 1)
        try:
            table = self.stream(name)[rows][wanted]  # [k, parts, 2]
            return read_records(self._blob(name), table)
        except Exception as exc:  # a checksum mismatch: name the sample, not zarr's internals
            raise self._damaged(name, index, exc) from exc

    def images(self, index: int, name: str, frames: np.ndarray | list[int] | None = None) -> np.ndarray:
        """Decoded frames of one sample's encoded stream.

        Args:
            index: Sample index.
            name: ``rgb``, ``depth``, ``flow`` or ``rgbdiff``.
            frames: Frame indices within the sample, any order (default: all; for ``flow``
                and ``rgbdiff``, which have none on a sample's last frame, all but the last).

        Returns:
            ``rgb``: uint8 ``[k, H, W, 3]``; ``depth``: uint16 ``[k, H, W]``; ``flow``: uint8
            ``[k, H, W, 2]`` (quantised x, y); ``rgbdiff``: uint8 ``[k, H, W, 3]``; ``video``
            (a stored video file): uint8 RGB ``[k, H, W, 3]``, decoded.

        Raises:
            ValueError: a requested frame has no image (the last frame of ``flow``).
        """
        if self.attrs["streams"].get(name, {}).get("per_sample"):
            return self._decode_video(index, name, frames)
        if frames is None and self.attrs["streams"].get(name, {}).get("last_frame_empty"):
            frames = np.arange(max(int(self.samples["frames"][index]) - 1, 0))
        records = self.encoded(index, name, frames)
        decode = image_decoder(self.attrs["streams"][name]["codec"])
        wanted = np.arange(len(records)) if frames is None else np.asarray(frames).reshape(-1)
        planes = []
        for t, record in zip(wanted, records):
            if not all(record):
                raise ValueError(f"{self.path}: frame {int(t)} of sample {index} has no {name} image "
                                 f"(a sample of T frames has T-1 {name} frames)" if name in ("flow", "rgbdiff")
                                 else f"{self.path}: frame {int(t)} of sample {index} has no {name} image")
            parts = [decode(data, f"{self.path} sample {index} {name} frame {int(t)}") for data in record]
            planes.append(parts[0] if len(parts) == 1 else np.stack(parts, axis=-1))
        if not planes:
            raise ValueError(f"{self.path}: no frames requested")
        return np.stack(planes)

    def _decode_video(self, index: int, name: str, frames) -> np.ndarray:
        """Frames of a sample stored as its encoded video file (frame-accurate sequential decode)."""
        from actionkit.codecs.video import VideoError

        (data,), = self.encoded(index, name)
        n = int(self.samples["frames"][index])
        wanted = np.arange(n) if frames is None else np.asarray(frames, dtype=np.int64).reshape(-1)
        if len(wanted) and (wanted.min() < -n or wanted.max() >= n):
            raise IndexError(f"{self.path}: frame indices {wanted.tolist()} out of range for sample {index} "
                             f"({n} frames)")
        try:
            return video_decoder(self.attrs["streams"][name]["codec"])(data, wanted % max(n, 1))
        except VideoError as exc:
            raise ValueError(f"{self.path}: sample {index} {name}: {exc}") from None

    def _blob(self, name: str) -> zarr.Array:
        cache = self.__dict__.setdefault("_blobs", {})
        if name not in cache:
            cache[name] = self._group[self.attrs["streams"][name]["bytes"]]
        return cache[name]

    def load_stream(self, name: str) -> np.ndarray:
        """A whole per-frame stream read into memory, ``[total_frames, ...]``.

        Uses the direct shard decoder (:mod:`actionkit.store.shards`: threads, every
        checksum verified) when the array has the writer's layout, else zarr-python.
        """
        arr = self.stream(name)
        meta = json.loads((self.path / name / "zarr.json").read_text())
        # Stores with a manifest write every chunk: an absent one is damage, never zeros.
        strict = "manifest" in self.attrs and checks_enabled()
        try:
            fast = load_sharded(self.path / name, meta, strict=strict)
        except StoreError as exc:
            raise DamagedStoreError(f"{exc}; " + REMEDY.format(path=self.path)) from None
        if fast is not None:
            return fast
        try:
            return arr[:]
        except Exception as exc:
            raise DamagedStoreError(f"{self.path}: stream {name} is unreadable ({type(exc).__name__}: {exc}); "
                                    + REMEDY.format(path=self.path)) from exc

    def frames_of(self, index: int) -> slice:
        """The rows of sample ``index`` in every per-frame stream."""
        start = int(self.samples["start"][index])
        return slice(start, start + int(self.samples["frames"][index]))

    def sample(
        self,
        index: int,
        streams: tuple[str, ...] | list[str] | None = None,
        frames: np.ndarray | list[int] | None = None,
    ) -> dict[str, Any]:
        """One sample's fields and stream arrays.

        Args:
            index: Sample index in ``[0, N)``.
            streams: Streams to read (default: all).
            frames: Frame indices within the sample (default: all frames; for ``flow`` and
                ``rgbdiff``, which have none on a sample's last frame, all but the last).

        Returns:
            ``{"name": str, "label": int, <ids>: int, "frames": int, <stream>: array}``;
            skeleton streams are float32 ``[frames, bodies, joints, 3]``; video streams
            are decoded images (see :meth:`images`).
        """
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"sample {index} out of range for {n} samples")
        index %= n
        out: dict[str, Any] = {}
        for key, values in self.samples.items():
            if key == "start":
                continue
            out[key] = str(values[index]) if key == "name" else int(values[index])
        rows = self.frames_of(index)
        for name in self.stream_names if streams is None else streams:
            if self.is_encoded(name):
                out[name] = self.images(index, name, frames)
                continue
            arr = self.stream(name)
            try:
                data = arr[rows]
            except Exception as exc:  # a checksum mismatch: name the sample, not zarr's internals
                raise self._damaged(name, index, exc) from exc
            out[name] = data if frames is None else data[np.asarray(frames)]
        return out

    def split(self, protocol: str, part: str) -> np.ndarray:
        """Sample indices of one split part, e.g. ``split("xsub", "train")``."""
        try:
            return self.splits[protocol][part]
        except KeyError:
            have = {p: sorted(parts) for p, parts in self.splits.items()}
            raise KeyError(f"{self.path}: no split {protocol}/{part}; splits: {have}") from None


def read_records(blob: zarr.Array, table: np.ndarray) -> list[tuple[bytes, ...]]:
    """Slice encoded images out of a byte array, one read per run of adjacent bytes.

    Args:
        blob: An encoded stream's ``bytes`` array.
        table: int64 ``[k, parts, 2]`` (offset, length) records.

    Returns:
        ``k`` tuples of ``parts`` byte strings.
    """
    flat = table.reshape(-1, 2)
    order = np.argsort(flat[:, 0], kind="stable")
    pieces: list[bytes] = [b""] * len(flat)
    run: list[int] = []
    run_lo = run_hi = 0

    def read_run() -> None:
        data = blob[run_lo:run_hi].tobytes()
        for i in run:
            off, ln = flat[i]
            pieces[i] = data[off - run_lo:off - run_lo + ln]

    for i in order:
        off, ln = int(flat[i, 0]), int(flat[i, 1])
        if ln == 0:
            continue
        if run and off <= run_hi:
            run.append(i)
            run_hi = max(run_hi, off + ln)
            continue
        if run:
            read_run()
        run, run_lo, run_hi = [i], off, off + ln
    if run:
        read_run()
    parts = table.shape[1]
    return [tuple(pieces[k * parts:(k + 1) * parts]) for k in range(table.shape[0])]


def open_store(path: str | Path, *, allow_incomplete: bool = False) -> Store:
    """Open a canonical store for reading.

    Args:
        path: The store's folder (``data/ntu60.zarr``).
        allow_incomplete: Open a store whose prepare never finished.

    Raises:
        StoreError: not a store; IncompleteStoreError, SchemaVersionError as named.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise StoreError(f"{path}: no such store; check the path (a store is a folder such as data/ntu60.zarr, "
                         f"made by `actionkit prepare`)")
    if not path.is_dir():
        raise StoreError(f"{path}: not a store (a store is a folder made by `actionkit prepare`)")
    root_meta = path / "zarr.json"
    if root_meta.exists():
        try:
            json.loads(root_meta.read_bytes())
        except (OSError, ValueError) as exc:
            raise DamagedStoreError(f"{root_meta}: the store's root metadata is damaged ({exc}); "
                                    f"prepare the store again (--overwrite)") from None
    try:
        group = zarr.open_group(path, mode="r")
    except Exception as exc:  # zarr raises several types for "not a group"
        raise StoreError(f"{path}: not a Zarr v3 store ({exc})") from exc
    attrs = group.attrs.get(ATTRS_KEY)
    if attrs is None:
        raise StoreError(f"{path}: a Zarr store but not an actionkit store (no '{ATTRS_KEY}' attributes)")
    version = attrs.get("schema_version")
    if version is not None and version not in READABLE_VERSIONS:
        raise SchemaVersionError(f"{path}: schema version {version}; this actionkit reads versions "
                                 f"{', '.join(map(str, READABLE_VERSIONS))}: upgrade actionkit or prepare the store "
                                 f"again")
    if not attrs.get("complete") and not allow_incomplete:
        raise IncompleteStoreError(
            f"{path}: the store is incomplete (its prepare did not finish); run the prepare again to resume it"
        )
    if checks_enabled():
        check_objects(path, attrs)
    return Store(path, group, attrs)
