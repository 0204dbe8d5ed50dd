"""Sharded prepares: ``--shard i/n`` splits a dataset over n independent processes or nodes.

Shard i (1-based) takes the i-th of n contiguous blocks of the scan and writes it as a
complete store of its own, ``<out>.parts/<i>-of-<n>.zarr`` (resumable like any prepare).
Whichever shard finishes last (in any order) finds every part complete and merges them,
in block order, into ``<out>``: the same store a single process would have written.
Two shards finishing at once cannot both merge: the merge holds a lock (an atomic
``mkdir``). An interrupted merge resumes when any shard is run again; the parts are
removed once the store is complete. Any scheduler (torchrun, SLURM arrays, xargs) can
run the shards: there is no cluster layer.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from actionkit.prepare.finish import finish_store
from actionkit.reports import Note, PrepareReport, Skip
from actionkit.sources.base import VideoSource
from actionkit.store.inspect import disk_size
from actionkit.store.reader import open_store
from actionkit.store.schema import EncodedStreamSpec
from actionkit.store.writer import StoreWriter, store_state

LOCK = ".merging"


def parse_shard(text: str) -> tuple[int, int]:
    """``"3/16"`` -> ``(3, 16)``.

    Raises:
        ValueError: not ``i/n`` with ``1 <= i <= n``.
    """
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ValueError(f"--shard {text!r}: expected i/n with 1 <= i <= n, e.g. 3/16")
    return int(m.group(1)), int(m.group(2))


def parts_dir(out: Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".parts")


def part_path(out: Path, shard: tuple[int, int]) -> Path:
    i, n = shard
    return parts_dir(out) / f"{i:04d}-of-{n:04d}.zarr"


def block(items: list, shard: tuple[int, int]) -> list:
    """The i-th of n contiguous, near-equal blocks of ``items``."""
    i, n = shard
    return items[(i - 1) * len(items) // n: i * len(items) // n]


def merge_if_complete(source: VideoSource, out: Path, n: int, identity: dict[str, Any],
                      specs: list[EncodedStreamSpec], fields: tuple[str, ...], *, shard_frames: int,
                      chunk_frames: int) -> bool:
    """Merge the n parts into ``out`` if every part is complete and no one else is merging.

    Returns:
        True when this call built the store.
    """
    parts = [part_path(out, (i, n)) for i in range(1, n + 1)]
    if any(store_state(p) != "complete" for p in parts):
        return False
    lock = parts_dir(out) / LOCK
    try:
        lock.mkdir()
    except FileExistsError:
        return False
    whole = {k: v for k, v in identity.items() if k != "part"}
    writer = StoreWriter(out, whole, [], fields, encoded=specs, shard_frames=shard_frames,
                         chunk_frames=chunk_frames)
    entry = 0  # samples and skips, in merge order: what a resumed merge skips over
    skipped: list[Skip] = []
    notes: list[Note] = []
    attrs: dict[str, Any] = {}
    for path in parts:
        part = open_store(path)
        attrs = attrs or dict(part.attrs)
        part_notes: dict[str, list[Note]] = {}
        for note in part.attrs["notes"]:
            part_notes.setdefault(note["name"], []).append(Note(**note))
        for j in range(len(part)):
            entry += 1
            if entry <= writer.refs_done:
                continue
            name = str(part.samples["name"][j])
            ids = {f: int(part.samples[f][j]) for f in fields}
            records = {s.name: part.encoded(j, s.name) for s in specs}
            writer.add_sample(name, int(part.samples["label"][j]), ids, {}, records,
                              frames=int(part.samples["frames"][j]))
            for note in part_notes.get(name, []):
                writer.add_note(note)
        for skip in part.attrs["skipped"]:
            skipped.append(Skip(**skip))
            entry += 1
            if entry > writer.refs_done:
                writer.add_skip(Skip(**skip))
        notes.extend(n for ns in part_notes.values() for n in ns)
    writer.flush()
    attrs.pop("part", None)
    attrs.pop("complete", None)
    attrs["skipped"] = [s.as_dict() for s in skipped]
    attrs["notes"] = [n.as_dict() for n in writer.notes]
    finish_store(writer, source, attrs, attrs.get("excluded", {}))
    shutil.rmtree(parts_dir(out))
    return True


def part_report(source: VideoSource, out: Path, part: Path, shard: tuple[int, int], merged: bool,
                writer: StoreWriter, skipped: list[Skip], scan, seconds: float, resumed_from: int) -> PrepareReport:
    """What one shard did, and whether the store is complete."""
    i, n = shard
    if merged:
        store = open_store(out)
        status = f"shard {i}/{n} finished last: all {n} parts merged into {out}"
        return PrepareReport(
            dataset=source.dataset, out=Path(out), samples=len(store), frames=int(store.samples["frames"].sum()),
            skipped=[Skip(**s) for s in store.attrs["skipped"]], excluded=dict(scan.excluded),
            splits=store.attrs["splits"], seconds=seconds, resumed_from=resumed_from, bytes=disk_size(Path(out)),
            raw_files=scan.files, notes=[Note(**x) for x in store.attrs["notes"]], warnings=list(source.warnings),
            status=status)
    done = sum(store_state(part_path(out, (k, n))) == "complete" for k in range(1, n + 1))
    waiting = "" if done < n else " (another shard is merging them)"
    columns = writer.columns
    return PrepareReport(
        dataset=source.dataset, out=part, samples=len(columns["name"]), frames=int(columns["frames"].sum()),
        skipped=skipped, excluded={}, splits={}, seconds=seconds, resumed_from=resumed_from,
        bytes=disk_size(part), raw_files=scan.files, notes=writer.notes, warnings=list(source.warnings),
        status=f"shard {i}/{n} done: {done} of {n} parts complete{waiting}; the last shard to finish "
               f"merges them into {out}")
