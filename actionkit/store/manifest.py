"""The chunk manifest: every chunk object of every array, with its size and CRC-32C.

Zarr reads a missing chunk as the array's fill value, so a deleted ``samples/label``
chunk would read as all zeros. A store of schema version 2 therefore lists, in
``manifest.json`` written just before the store is marked complete, every array's
metadata checksum and every chunk object's size and CRC-32C; the root attributes hold the
manifest's own checksum. The writer writes every chunk (``write_empty_chunks``), so the
manifest holds exactly the chunk grid of each array.

Two depths of check:

* :func:`check_manifest` with ``deep=False`` (``open_store``): the manifest is intact,
  every array is listed, its chunk keys are its whole grid, and every chunk object exists
  with its recorded size; the small arrays read at open (``samples/``, ``splits/``,
  per-sample indices) also have their CRC-32C checked. Cost: one ``stat`` per object.
* ``deep=True`` (``actionkit verify``): the CRC-32C of every object is checked.

Loaders read stream chunks through codecs that carry a CRC-32C per inner chunk, so an
altered object of a stream is caught when it is read.

:func:`integrity_checks` turns the checks off (benchmarks measure their cost with it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from crc32c import crc32c

from actionkit.store.errors import DamagedStoreError
from actionkit.store.schema import (
    JOURNAL_DIR,
    MANIFEST_FILE,
    REMEDY,
    SAMPLES_GROUP,
    SPLITS_GROUP,
    decode_names,
)

_ENABLED = True


@contextmanager
def integrity_checks(enabled: bool) -> Iterator[None]:
    """Turn the integrity checks (manifest, strict shard reads, loaders' finiteness) on or off.

    Only for measuring their cost: with them off a damaged store may read as zeros.
    """
    global _ENABLED
    old, _ENABLED = _ENABLED, enabled
    try:
        yield
    finally:
        _ENABLED = old


def checks_enabled() -> bool:
    """Whether the integrity checks are on (see :func:`integrity_checks`)."""
    return _ENABLED


@dataclass(frozen=True)
class ChunkProblem:
    """A damaged or missing object of one array.

    Attributes:
        array: The array's path in the store (``samples/label``, ``joint``, ``rgb/bytes``).
        key: The chunk key (``c/3/0/0/0``), or ``zarr.json`` for the metadata, or ``""``.
        what: What is wrong (``missing``, ``size 10, expected 4096``, ``checksum mismatch``).
        rows: The rows along axis 0 the object covers (``(lo, hi)``), when known.
    """

    array: str
    key: str
    what: str
    rows: tuple[int, int] | None = None


def file_crc(path: Path, block: int = 1 << 24) -> int:
    """CRC-32C of a file, read in blocks."""
    value = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            value = crc32c(chunk, value)
    return value


def array_paths(root: Path) -> list[str]:
    """Every array under a store, as ``/``-separated paths relative to ``root``, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != JOURNAL_DIR and d != "c")
        if "zarr.json" in filenames and Path(dirpath) != root:
            try:
                node = json.loads((Path(dirpath) / "zarr.json").read_text()).get("node_type")
            except (OSError, ValueError):
                node = "array?"  # damaged metadata: listed so that the check reports it
            if node != "group":
                found.append(Path(dirpath).relative_to(root).as_posix())
    return sorted(found)


def grid_keys(meta: dict[str, Any]) -> tuple[list[str], int]:
    """The chunk keys of an array's whole grid, and the rows (axis 0) per chunk."""
    shape = meta["shape"]
    chunk = meta["chunk_grid"]["configuration"]["chunk_shape"]
    encoding = meta.get("chunk_key_encoding", {})
    sep = encoding.get("configuration", {}).get("separator", "/")
    prefix = "c" if encoding.get("name", "default") == "default" else ""
    counts = [-(-s // c) for s, c in zip(shape, chunk)]
    if any(n == 0 for n in counts):
        return [], chunk[0] if chunk else 1
    keys = [sep.join([prefix, *map(str, idx)] if prefix else map(str, idx)) for idx in product(*map(range, counts))]
    return keys, (chunk[0] if chunk else 1)


def build_manifest(root: Path) -> dict[str, Any]:
    """List every array's metadata checksum and every chunk object's size and CRC-32C."""
    root = Path(root)
    arrays = {}
    for rel in array_paths(root):
        folder = root / rel
        meta_bytes = (folder / "zarr.json").read_bytes()
        meta = json.loads(meta_bytes)
        keys, _ = grid_keys(meta)
        chunks = {}
        for key in keys:
            path = folder / key
            if path.exists():
                chunks[key] = [path.stat().st_size, file_crc(path)]
        arrays[rel] = {"meta_crc32c": crc32c(meta_bytes), "chunks": chunks}
    return {"version": 1, "arrays": arrays}


def write_manifest(root: Path) -> dict[str, Any]:
    """Write ``manifest.json``; returns what the root attributes record of it."""
    manifest = build_manifest(root)
    data = json.dumps(manifest, separators=(",", ":")).encode()
    tmp = Path(root) / (MANIFEST_FILE + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, Path(root) / MANIFEST_FILE)
    return {"file": MANIFEST_FILE, "crc32c": crc32c(data), "arrays": len(manifest["arrays"]),
            "chunks": sum(len(a["chunks"]) for a in manifest["arrays"].values())}


def _read_at_open(rel: str, meta: dict[str, Any]) -> bool:
    """Arrays open_store reads whole: sample fields, splits, per-sample record indices."""
    sharded = any(c.get("name") == "sharding_indexed" for c in meta.get("codecs", []))
    return rel.startswith((SAMPLES_GROUP + "/", SPLITS_GROUP + "/")) or (rel.endswith("/index") and not sharded)


def check_manifest(root: Path, record: dict[str, Any], *, deep: bool) -> list[ChunkProblem]:
    """Compare a store's objects with its manifest.

    Args:
        root: The store's folder.
        record: The root attributes' ``manifest`` entry (file name and its CRC-32C).
        deep: Check every object's CRC-32C (else sizes, and checksums of the small arrays).

    Returns:
        Every problem found (empty: the store has all its objects, as written).
    """
    root = Path(root)
    path = root / record.get("file", MANIFEST_FILE)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [ChunkProblem(MANIFEST_FILE, "", f"unreadable ({exc.strerror or exc})")]
    if crc32c(data) != record.get("crc32c"):
        return [ChunkProblem(MANIFEST_FILE, "", "checksum mismatch (the manifest was altered or truncated)")]
    listed = json.loads(data)["arrays"]
    problems = []
    present = set(array_paths(root))
    for rel in sorted(present - set(listed)):
        problems.append(ChunkProblem(rel, "", "an array the manifest does not list"))
    for rel, entry in listed.items():
        folder = root / rel
        try:
            meta_bytes = (folder / "zarr.json").read_bytes()
        except OSError:
            problems.append(ChunkProblem(rel, "zarr.json", "missing"))
            continue
        if crc32c(meta_bytes) != entry["meta_crc32c"]:
            problems.append(ChunkProblem(rel, "zarr.json", "checksum mismatch (altered or truncated metadata)"))
            continue
        meta = json.loads(meta_bytes)
        keys, rows = grid_keys(meta)
        chunks = entry["chunks"]
        total = meta["shape"][0] if meta["shape"] else 1
        for key in keys:
            span = _rows(key, rows, total)
            if key not in chunks:
                problems.append(ChunkProblem(rel, key, "never written (not in the manifest)", span))
                continue
            size, crc = chunks[key]
            try:
                actual = os.stat(folder / key).st_size
            except OSError:
                problems.append(ChunkProblem(rel, key, "missing", span))
                continue
            if actual != size:
                problems.append(ChunkProblem(rel, key, f"{actual} bytes, expected {size}", span))
            elif (deep or _read_at_open(rel, meta)) and file_crc(folder / key) != crc:
                problems.append(ChunkProblem(rel, key, "checksum mismatch (altered)", span))
    return problems


def _rows(key: str, rows: int, total: int) -> tuple[int, int]:
    parts = key.replace(".", "/").split("/")
    digits = [p for p in parts if p.isdigit()]
    first = int(digits[0]) if digits else 0
    return first * rows, min((first + 1) * rows, total)


def check_objects(path: Path, attrs: dict[str, Any]) -> None:
    """Every array's metadata parses; with a manifest, every chunk object is there, as written.

    Raises:
        DamagedStoreError: naming the first damaged array, chunk and sample range.
    """
    if "manifest" not in attrs:  # written before schema 2: metadata only
        for rel in array_paths(path):
            try:
                json.loads((path / rel / "zarr.json").read_bytes())
            except (OSError, ValueError) as exc:
                raise DamagedStoreError(f"{path / rel / 'zarr.json'}: damaged array metadata ({exc}); "
                                        f"prepare the store again (--overwrite)") from None
        return
    problems = check_manifest(path, attrs["manifest"], deep=False)
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise DamagedStoreError(f"{path}: {describe_problem(path, attrs, problems[0])}{more}; "
                                + REMEDY.format(path=path))


def describe_problem(path: Path, attrs: dict[str, Any], problem: ChunkProblem) -> str:
    """A chunk problem in words: the array, the object, and the samples it holds (when known)."""
    where = f"array {problem.array}" + (f" object {problem.key}" if problem.key else "")
    text = f"{where} is {problem.what}" if problem.what == "missing" else f"{where}: {problem.what}"
    if problem.rows is None:
        return text
    lo, hi = problem.rows
    streams = attrs.get("streams", {})
    per_frame = {n for n, s in streams.items() if not s.get("encoded")}
    per_frame |= {s["index"] for s in streams.values() if s.get("encoded") and not s.get("per_sample")}
    per_sample = {s["index"] for s in streams.values() if s.get("encoded") and s.get("per_sample")}
    if problem.array.startswith(SAMPLES_GROUP + "/") or problem.array in per_sample:
        return f"{text} (samples {lo}-{hi - 1})"
    if problem.array.startswith(SPLITS_GROUP + "/"):
        return f"{text} (split positions {lo}-{hi - 1})"
    if problem.array not in per_frame:
        return f"{text} (elements {lo}-{hi - 1})"
    try:  # which samples those frames belong to
        group = zarr.open_group(path, mode="r")
        start = group[f"{SAMPLES_GROUP}/start"][:].astype(np.int64)
        ends = start + group[f"{SAMPLES_GROUP}/frames"][:].astype(np.int64)
        first, last = int(np.searchsorted(ends, lo, "right")), int(np.searchsorted(start, hi, "left")) - 1
        if first > last:
            return f"{text} (frames {lo}-{hi - 1})"
        names = group[f"{SAMPLES_GROUP}/name"]
        name_of = (lambda i: decode_names(names[i:i + 1])[0]) if names.ndim == 2 else (lambda i: str(names[i]))
        return f"{text} (frames {lo}-{hi - 1}: samples {first}-{last}, {name_of(first)} to {name_of(last)})"
    except Exception:  # the sample fields are damaged too: the frames must do
        return f"{text} (frames {lo}-{hi - 1})"
