"""A streaming, resumable writer of canonical stores.

Samples arrive one at a time, in the scan order of their source. Per-frame data is
buffered until a whole shard is full and then written once, so memory stays bounded by
about one shard per stream whatever the dataset's size. After every shard the writer
commits a journal (``.actionkit-journal/`` inside the store): how many scan entries are
done, where the committed frames end, and the metadata rows of the committed samples.
A prepare that is killed resumes from the last commit and produces the same arrays as
one that ran straight through. The store becomes valid only when ``finish`` writes the
root attributes with ``complete: true``, last.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from actionkit.reports import Note, Skip
from actionkit.store.errors import StoreError, StoreExistsError, os_errors
from actionkit.store.lock import StoreLock
from actionkit.store.manifest import checks_enabled, write_manifest
from actionkit.store.schema import (
    ATTRS_KEY,
    BLOB_CHUNK_BYTES,
    BLOB_SHARD_BYTES,
    CHUNK_FRAMES,
    FIELD_DTYPES,
    ID_DTYPE,
    JOURNAL_DIR,
    SAMPLES_GROUP,
    SCHEMA_VERSION,
    SHARD_FRAMES,
    SPLITS_GROUP,
    EncodedStreamSpec,
    StreamSpec,
    blob_codecs,
    encode_names,
    small_array_codecs,
    stream_codecs,
    write_config,
)


def _write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as fh:
        json.dump(obj, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def store_state(path: Path) -> str:
    """``"absent"``, ``"complete"``, ``"partial"`` (a resumable prepare), ``"unstarted"`` (a
    prepare killed before its first commit: nothing to keep) or ``"other"``."""
    path = Path(path)
    if not path.exists():
        return "absent"
    if (path / JOURNAL_DIR / "state.json").exists():
        return "partial"
    if (path / JOURNAL_DIR).is_dir():
        return "unstarted"
    try:
        attrs = zarr.open_group(path, mode="r").attrs.get(ATTRS_KEY, {})
    except Exception:
        return "other"
    return "complete" if attrs.get("complete") else "other"


class StoreWriter:
    """Writes one store, sample by sample, in scan order.

    Args:
        path: The store to create (``.../<dataset>.zarr``).
        identity: What the store is made from (dataset, source fingerprint, options,
            streams). A partial store is resumed only when its identity is equal.
        streams: The per-frame numeric streams every sample carries.
        id_fields: The dataset's integer id fields (in ``samples/``).
        encoded: Streams of encoded images (video) every sample carries: their byte
            arrays are appended as samples arrive, their per-frame index arrays are
            written like the numeric streams.
        overwrite: Replace an existing store (complete or not).
        shard_frames: Frames per shard (one object on disk); a multiple of ``chunk_frames``.
        chunk_frames: Frames per inner chunk (the unit of a partial read).
        max_buffered_bytes: Encoded image bytes held before they are written out.

    Raises:
        StoreExistsError: a complete store is there and ``overwrite`` is False.
        StoreError: something else is at ``path``, or a partial store made from other
            input, and ``overwrite`` is False.
    """

    def __init__(
        self,
        path: Path,
        identity: dict[str, Any],
        streams: list[StreamSpec],
        id_fields: tuple[str, ...],
        *,
        encoded: list[EncodedStreamSpec] | tuple[EncodedStreamSpec, ...] = (),
        overwrite: bool = False,
        shard_frames: int = SHARD_FRAMES,
        chunk_frames: int = CHUNK_FRAMES,
        max_buffered_bytes: int = 256 << 20,
    ):
        if shard_frames % chunk_frames:
            raise ValueError("shard_frames must be a multiple of chunk_frames")
        self.path = Path(path)
        self.identity = json.loads(json.dumps(identity))  # normalised, as it reads back
        self.encoded = list(encoded)
        self.streams = list(streams) + [e.index_spec for e in self.encoded if not e.per_sample]
        self.id_fields = tuple(id_fields)
        self.shard_frames = shard_frames
        self.max_buffered_bytes = max_buffered_bytes
        self.chunk_frames = chunk_frames
        self._journal = self.path / JOURNAL_DIR
        self._columns: dict[str, list] = {f: [] for f in ("name", "label", *self.id_fields, "frames", "start")}
        self._skips: list[Skip] = []
        self._notes: list[Note] = []
        # Uncommitted entries in scan order: ("sample", (row, frames end, image bytes ends)),
        # ("skip", Skip), ("note", Note).
        self._pending: list[tuple[str, Any]] = []
        self._buffers: dict[str, list[np.ndarray]] = {s.name: [] for s in self.streams}
        self._buffered = 0
        # Encoded streams' image bytes: buffered parts, and where written/committed data ends.
        self._blob_parts: dict[str, list[bytes]] = {e.name: [] for e in self.encoded}
        self._blob_buffered = {e.name: 0 for e in self.encoded}
        self._blob_written = {e.name: 0 for e in self.encoded}
        self._bytes_committed = {e.name: 0 for e in self.encoded}
        self._records: dict[str, list] = {e.name: [] for e in self.encoded if e.per_sample}  # committed
        self.refs_done = 0
        self._frames_committed = 0
        self._frames_written = 0

        with os_errors(self.path):
            self._lock = StoreLock(self.path)
            try:
                self._open(overwrite)
            except BaseException:
                self._lock.release()
                raise

    def _open(self, overwrite: bool) -> None:
        state = store_state(self.path)
        if state == "partial" and not overwrite and self._resume():
            self.resumed = True
        else:
            if state == "complete" and not overwrite:
                raise StoreExistsError(f"{self.path} is a complete store; pass --overwrite to replace it")
            if state in ("other", "partial") and not overwrite:
                what = ("a partial store made from other input or options" if state == "partial"
                        else "something that is not an actionkit store")
                raise StoreError(f"{self.path} holds {what}; pass --overwrite to replace it")
            if self.path.exists():
                shutil.rmtree(self.path)
            self._create()
            self.resumed = False
        self._arrays = {s.name: zarr.open_array(self.path / s.name, mode="r+").with_config(write_config())
                        for s in self.streams}
        self._blobs = {e.name: zarr.open_array(self.path / e.name / "bytes", mode="r+").with_config(write_config())
                       for e in self.encoded}
        for name, blob in self._blobs.items():  # drop bytes written after the last commit
            if blob.shape[0] != self._bytes_committed[name]:
                blob.resize((self._bytes_committed[name],))

    # ---------------------------------------------------------------- set-up
    def _create(self) -> None:
        # The journal folder comes first: a run killed before its first state.json leaves a
        # store that store_state calls "unstarted", which the next run recreates.
        self._journal.mkdir(parents=True)
        root = zarr.open_group(self.path, mode="a", zarr_format=3)
        for enc in self.encoded:
            root.require_group(enc.name).create_array(
                "bytes", shape=(0,), dtype="uint8", chunks=(BLOB_CHUNK_BYTES,), shards=(BLOB_SHARD_BYTES,),
                fill_value=0, config=write_config(), **blob_codecs(),
            )
        for spec in self.streams:
            itemsize = np.dtype(spec.dtype).itemsize
            parent, _, leaf = spec.name.rpartition("/")
            (root.require_group(parent) if parent else root).create_array(
                leaf,
                shape=(0, *spec.frame_shape),
                dtype=spec.dtype,
                chunks=(self.chunk_frames, *spec.frame_shape),
                shards=(self.shard_frames, *spec.frame_shape),
                fill_value=0,
                config=write_config(),
                **stream_codecs(itemsize),
            )
        root.attrs[ATTRS_KEY] = {"schema_version": SCHEMA_VERSION, "complete": False, **self.identity}
        (self._journal / "rows.jsonl").touch()
        self._commit_state()

    def _resume(self) -> bool:
        state = json.loads((self._journal / "state.json").read_text())
        if state.get("identity") != self.identity:
            return False
        self.refs_done = state["refs_done"]
        self._frames_committed = self._frames_written = state["frames_committed"]
        committed = state.get("bytes_committed", {})
        for name in self._bytes_committed:
            self._bytes_committed[name] = self._blob_written[name] = int(committed.get(name, 0))
        rows, skips, notes = state["rows"], state["skips"], state.get("notes", 0)
        kept: list[str] = []
        with open(self._journal / "rows.jsonl") as fh:
            for line in fh:
                entry = json.loads(line)
                if entry["type"] == "sample" and rows > 0:
                    rows -= 1
                    for key, col in self._columns.items():
                        col.append(entry["row"][key])
                    for name, recs in self._records.items():
                        recs.append(entry["row"]["records"][name])
                elif entry["type"] == "skip" and skips > 0:
                    skips -= 1
                    self._skips.append(Skip(**entry["skip"]))
                elif entry["type"] == "note" and notes > 0:
                    notes -= 1
                    self._notes.append(Note(**entry["note"]))
                else:
                    continue
                kept.append(line)
        # Drop rows appended after the last committed state (a kill between the two writes).
        with open(self._journal / "rows.jsonl", "w") as fh:
            fh.writelines(kept)
        return True

    # ---------------------------------------------------------------- adding
    def add_sample(
        self,
        name: str,
        label: int,
        ids: dict[str, int],
        arrays: dict[str, np.ndarray],
        encoded: dict[str, list[tuple[bytes, ...]]] | None = None,
        frames: int | None = None,
    ) -> None:
        """Append one sample.

        Args:
            name, label, ids: The sample's fields.
            arrays: Numeric streams by name, each ``[frames, ...]``.
            encoded: Encoded streams by name, each a list of ``frames`` records; a record
                is a tuple of ``parts`` encoded images (``b""``: no image for that frame).
                A per-sample stream takes a list of one record.
            frames: The sample's frame count, needed only when no per-frame stream says it.

        Raises:
            ValueError: streams missing or extra, unequal frame counts, wrong part counts.
        """
        encoded = encoded or {}
        numeric = {s.name for s in self.streams} - {e.index_spec.name for e in self.encoded}
        per_frame = [e for e in self.encoded if not e.per_sample]
        if set(arrays) != numeric or set(encoded) != set(self._blob_parts):
            raise ValueError(f"{name}: expected streams {sorted(numeric)} and encoded streams "
                             f"{sorted(self._blob_parts)}, got {sorted(arrays)} and {sorted(encoded)}")
        counts = {len(a) for a in arrays.values()} | {len(encoded[e.name]) for e in per_frame}
        counts |= {frames} if frames is not None else set()
        if len(counts) != 1:
            raise ValueError(f"{name}: streams have unequal frame counts {sorted(counts)}")
        n = counts.pop()
        for enc in self.encoded:  # check everything before buffering anything
            if enc.per_sample and len(encoded[enc.name]) != 1:
                raise ValueError(f"{name}: {enc.name} is a per-sample stream: give one record, "
                                 f"got {len(encoded[enc.name])}")
            bad = [t for t, record in enumerate(encoded[enc.name]) if len(record) != enc.parts]
            if bad:
                raise ValueError(f"{name}: frame {bad[0]} of {enc.name} has {len(encoded[enc.name][bad[0]])} "
                                 f"parts, expected {enc.parts}")
        start = self._frames_written + self._buffered
        row = {"name": name, "label": int(label), **{k: int(ids[k]) for k in self.id_fields},
               "frames": n, "start": start}
        for key, arr in arrays.items():
            self._buffers[key].append(np.ascontiguousarray(arr))
        blob_ends = {}
        row["records"] = {}
        for enc in self.encoded:
            index = np.zeros((len(encoded[enc.name]), enc.parts, 2), dtype=np.int64)
            cursor = self._blob_written[enc.name] + self._blob_buffered[enc.name]
            for t, record in enumerate(encoded[enc.name]):
                for p, data in enumerate(record):
                    index[t, p] = (cursor, len(data))
                    cursor += len(data)
                    if data:
                        self._blob_parts[enc.name].append(bytes(data))
            self._blob_buffered[enc.name] = cursor - self._blob_written[enc.name]
            if enc.per_sample:
                row["records"][enc.name] = index[0].tolist()
            else:
                self._buffers[enc.index_spec.name].append(index)
            blob_ends[enc.name] = cursor
        self._buffered += n
        self._pending.append(("sample", (row, start + n, blob_ends)))
        self.refs_done += 1
        if self._buffered >= self.shard_frames or self._blob_bytes_buffered() >= self.max_buffered_bytes:
            self._flush(final=False)

    def _blob_bytes_buffered(self) -> int:
        return sum(self._blob_buffered.values())

    def add_skip(self, skip: Skip) -> None:
        """Record a sample left out (it advances the scan position like a sample)."""
        self._pending.append(("skip", skip))
        self.refs_done += 1

    def add_note(self, note: Note) -> None:
        """Record a note on the sample added last (committed with it)."""
        self._pending.append(("note", note))

    # ---------------------------------------------------------------- flushing
    def flush(self) -> None:
        """Write and commit everything buffered (a partial last shard included).

        Call it once all samples are added, before reading :attr:`columns` for splits.
        """
        self._flush(final=True)

    def _flush(self, final: bool) -> None:
        with os_errors(self.path):
            self._flush_inner(final)

    def _flush_inner(self, final: bool) -> None:
        total = self._frames_written + self._buffered
        end = total if final else (total // self.shard_frames) * self.shard_frames
        n = end - self._frames_written
        if n > 0:
            for key, parts in self._buffers.items():
                data = np.concatenate(parts) if len(parts) > 1 else parts[0]
                arr = self._arrays[key]
                if arr.shape[0] < end:
                    arr.resize((end, *arr.shape[1:]))
                arr[self._frames_written:end] = data[:n]
                self._buffers[key] = [data[n:]] if n < len(data) else []
            self._frames_written = end
            self._buffered -= n
        self._write_blobs()
        self._commit(final)

    def _write_blobs(self) -> None:
        """Append every buffered image byte (committed or not: a resume truncates the rest)."""
        for name, parts in self._blob_parts.items():
            if not parts:
                continue
            data = np.frombuffer(b"".join(parts), dtype=np.uint8)
            lo = self._blob_written[name]
            blob = self._blobs[name]
            if blob.shape[0] < lo + len(data):
                blob.resize((lo + len(data),))
            blob[lo:lo + len(data)] = data
            self._blob_written[name] = lo + len(data)
            self._blob_buffered[name] = 0
            self._blob_parts[name] = []

    def _commit(self, final: bool) -> None:
        lines = []
        done = 0
        for kind, item in self._pending:
            if kind == "sample":
                row, sample_end, blob_ends = item
                if sample_end > self._frames_written and not final:
                    break
                for key, col in self._columns.items():
                    col.append(row[key])
                for name, recs in self._records.items():
                    recs.append(row["records"][name])
                self._frames_committed = sample_end
                self._bytes_committed.update(blob_ends)
                lines.append(json.dumps({"type": "sample", "row": row}) + "\n")
            elif kind == "skip":
                self._skips.append(item)
                lines.append(json.dumps({"type": "skip", "skip": item.as_dict()}) + "\n")
            else:
                self._notes.append(item)
                lines.append(json.dumps({"type": "note", "note": item.as_dict()}) + "\n")
            done += 1
        if not done:
            return
        self._pending = self._pending[done:]
        with open(self._journal / "rows.jsonl", "a") as fh:
            fh.writelines(lines)
        self._commit_state()

    def _commit_state(self) -> None:
        # Notes are no scan entries: count only samples and skips (robust to any call order).
        refs_committed = self.refs_done - sum(kind != "note" for kind, _ in self._pending)
        _write_json_atomic(
            self._journal / "state.json",
            {
                "identity": self.identity,
                "refs_done": refs_committed,
                "frames_committed": self._frames_committed,
                "bytes_committed": self._bytes_committed,
                "rows": len(self._columns["name"]),  # only committed entries leave _pending
                "skips": len(self._skips),
                "notes": len(self._notes),
            },
        )

    # ---------------------------------------------------------------- finishing
    @property
    def columns(self) -> dict[str, np.ndarray]:
        """The sample fields written so far (after ``finish``: all of them)."""
        out: dict[str, np.ndarray] = {"name": np.array(self._columns["name"], dtype=str)}
        for key, col in self._columns.items():
            if key != "name":
                out[key] = np.array(col, dtype=FIELD_DTYPES.get(key, ID_DTYPE))
        return out

    @property
    def skips(self) -> list[Skip]:
        return list(self._skips) + [item for kind, item in self._pending if kind == "skip"]

    @property
    def notes(self) -> list[Note]:
        return list(self._notes) + [item for kind, item in self._pending if kind == "note"]

    def finish(self, splits: dict[str, dict[str, np.ndarray]] | None, attrs: dict[str, Any]) -> None:
        """Write what is buffered, the sample fields, the splits and, last, the attributes.

        Args:
            splits: ``{protocol: {part: indices}}`` over the stored samples, or a
                callable-free dict computed by the caller from :attr:`columns`.
            attrs: The root attributes (without ``complete``, which is added here).

        Raises:
            StoreError: the disk is full or the folder not writable (the message says what to do).
        """
        with os_errors(self.path):
            self._finish(splits, attrs)
        self._lock.release()

    def close(self) -> None:
        """Give up writing (the store stays resumable): release the lock."""
        self._lock.release()

    def _finish(self, splits: dict[str, dict[str, np.ndarray]] | None, attrs: dict[str, Any]) -> None:
        self.flush()
        total = self._frames_committed
        for arr in self._arrays.values():
            if arr.shape[0] != total:
                arr.resize((total, *arr.shape[1:]))
        for name, blob in self._blobs.items():
            if blob.shape[0] != self._bytes_committed[name]:
                blob.resize((self._bytes_committed[name],))
        root = zarr.open_group(self.path, mode="r+")
        samples = root.require_group(SAMPLES_GROUP)
        for key, values in self.columns.items():
            if key == "name":  # fixed-width UTF-8 bytes: core Zarr v3 types only
                values = encode_names(values)
            n = max(len(values), 1)
            arr = samples.create_array(
                key,
                shape=values.shape,
                dtype=values.dtype,
                chunks=(n, *values.shape[1:]),
                overwrite=True,
                config=write_config(),
                **small_array_codecs(),
            )
            if len(values):
                arr[:] = values
        for enc in self.encoded:
            if enc.per_sample:
                records = np.asarray(self._records[enc.name], dtype=np.int64).reshape(-1, enc.parts, 2)
                arr = root[enc.name].create_array("index", shape=records.shape, dtype="int64",
                                                  chunks=(max(len(records), 1), enc.parts, 2), overwrite=True,
                                                  config=write_config(), **small_array_codecs())
                if len(records):
                    arr[:] = records
        split_group = root.require_group(SPLITS_GROUP)
        for protocol, parts in (splits or {}).items():
            pgroup = split_group.require_group(protocol)
            for part, idx in parts.items():
                idx = np.asarray(idx, dtype=np.int32)
                arr = pgroup.create_array(part, shape=idx.shape, dtype="int32", chunks=(max(len(idx), 1),),
                                          overwrite=True, config=write_config(), **small_array_codecs())
                if len(idx):
                    arr[:] = idx
        final = dict(attrs)
        final["schema_version"] = SCHEMA_VERSION
        final["complete"] = True
        if checks_enabled():  # off only to measure the cost of the checks (a store without a manifest)
            final["manifest"] = write_manifest(self.path)
        root.attrs[ATTRS_KEY] = json.loads(json.dumps(final))
        shutil.rmtree(self._journal, ignore_errors=True)
