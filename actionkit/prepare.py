"""Raw download -> canonical store: the pipeline behind ``actionkit prepare``.

Worker processes parse samples (the source's ``read``); the main process derives the
motion and bone streams, and streams everything into a :class:`StoreWriter` in scan
order, so memory stays bounded and a killed run resumes where its journal stopped.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from actionkit import __version__
from actionkit.kernels.streams import bone, motion
from actionkit.parallel import ordered_map
from actionkit.sources.base import Note, SampleError, SampleNote, SampleRef, SkeletonSource, Skip
from actionkit.store.inspect import disk_size
from actionkit.store.reader import layout_to_attrs
from actionkit.store.schema import SHARD_FRAMES, SKELETON_STREAMS, skeleton_streams
from actionkit.store.writer import StoreWriter


class PrepareError(Exception):
    """A prepare stopped: a fatal input problem (``strict``) or nothing usable found."""


@dataclass
class PrepareReport:
    """What a prepare did.

    Attributes:
        dataset: Dataset id.
        out: The store written.
        samples: Samples stored.
        frames: Frames stored (per stream).
        skipped: Samples left out because they are malformed, with path and reason.
        excluded: Samples left out by the dataset's rules, counted by rule.
        splits: ``{protocol: {part: count}}``.
        seconds: Wall time of this run.
        resumed_from: Scan entries already done by an interrupted run (0 if fresh).
        bytes: Size of the store on disk.
        raw_files: Raw files the scan looked at.
        notes: Notes on stored samples (a clip cut at its sequence's end, a fallback).
        warnings: Problems that dropped no sample (e.g. a missing split file).
    """

    dataset: str
    out: Path
    samples: int
    frames: int
    skipped: list[Skip]
    excluded: dict[str, int]
    splits: dict[str, dict[str, int]]
    seconds: float
    resumed_from: int = 0
    bytes: int = 0
    raw_files: int = 0
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: str = ""


ReadResult = tuple[np.ndarray | None, str | None, list[str]]  # joints, skip reason, notes


def _reader(source: SkeletonSource) -> Callable[[SampleRef], ReadResult]:
    """The per-sample work of a skeleton prepare: parse, check, collect notes (runs in workers)."""

    def read(ref: SampleRef) -> ReadResult:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SampleNote)
            try:
                joints = source.read(ref)
            except SampleError as exc:
                return None, exc.reason, []
            except Exception as exc:  # a long run reports the sample instead of dying
                return None, f"unexpected error: {type(exc).__name__}: {exc}", []
        notes = []
        for w in caught:
            if issubclass(w.category, SampleNote):
                notes.append(str(w.message))
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if joints.dtype != np.float32:
            joints = joints.astype(np.float32)
        if not np.isfinite(joints).all():
            return None, "non-finite coordinates after parsing", []
        return joints, None, notes

    return read


def prepare(
    source: SkeletonSource,
    out: Path,
    *,
    streams: tuple[str, ...] = tuple(SKELETON_STREAMS),
    workers: int | None = None,
    strict: bool = False,
    overwrite: bool = False,
    limit: int | None = None,
    shard_frames: int = SHARD_FRAMES,
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> PrepareReport:
    """Build (or resume) a store from a skeleton source.

    Args:
        source: The raw dataset.
        out: The store to write.
        streams: Skeleton streams to store (``joint`` always; ``motion``, ``bone``).
        workers: Parsing processes (default: all cores).
        strict: Stop at the first malformed sample instead of skipping it.
        overwrite: Replace an existing store.
        limit: Use only the first ``limit`` samples of the scan (quick trials).
        shard_frames: Frames per shard of every stream (and so per journal commit).
        on_start: Called once with (samples to process, samples already done).
        on_progress: Called with the number of samples processed since the last call.

    Raises:
        PrepareError: with ``strict``, the first malformed sample (path and reason).
        StoreExistsError: a complete store exists and ``overwrite`` is False.
    """
    t0 = time.perf_counter()
    if "joint" not in streams:
        raise ValueError("the joint stream is always stored")
    workers = (os.cpu_count() or 1) if workers is None else workers
    scan = source.scan()
    refs = scan.refs[:limit] if limit else scan.refs
    if strict and scan.skipped:
        first = scan.skipped[0]
        raise PrepareError(f"{first.path}: {first.reason}")
    specs = skeleton_streams(tuple(streams), source.max_bodies, source.layout.num_joints)
    options = source.options()
    identity = {
        "dataset": source.dataset,
        "streams": [s.name for s in specs],
        "fingerprint": scan.fingerprint,
        "options": options,
        "samples_scanned": len(refs),
        "shard_frames": shard_frames,
    }
    writer = StoreWriter(out, identity, specs, source.id_fields, overwrite=overwrite, shard_frames=shard_frames)
    resumed_from = writer.refs_done
    todo = refs[resumed_from:]
    if on_start:
        on_start(len(refs), resumed_from)
    parents = np.asarray(source.layout.parents, dtype=np.int64)
    for ref, (joints, error, notes) in zip(todo, ordered_map(_reader(source), todo, workers)):
        if error is not None:
            if strict:
                raise PrepareError(f"{ref.display}: {error}")
            writer.add_skip(Skip(ref.name, ref.display, error))
        else:
            arrays = {"joint": joints}
            if "motion" in streams:
                arrays["motion"] = motion(joints)
            if "bone" in streams:
                arrays["bone"] = bone(joints, parents)
            writer.add_sample(ref.name, ref.label, ref.ids, arrays)
            for note in notes:  # after its sample, so both are committed (and resumed) together
                writer.add_note(Note(ref.name, ref.display, note))
        if on_progress:
            on_progress(1)

    writer.flush()
    columns = writer.columns
    skipped_samples = scan.skipped + writer.skips
    splits = source.splits(columns["name"], {k: columns[k] for k in source.id_fields}) if len(columns["name"]) else {}
    attrs = _attributes(source, scan, specs, options, skipped_samples, writer.notes)
    attrs["splits"] = {p: {part: int(len(i)) for part, i in parts.items()} for p, parts in splits.items()}
    frames = int(columns["frames"].sum())
    attrs["counts"] = {
        "samples": int(len(columns["name"])),
        "frames": frames,
        "skipped": len(skipped_samples),
        "excluded": int(sum(scan.excluded.values())),
        "notes": len(writer.notes),
    }
    writer.finish(splits, attrs)
    return PrepareReport(
        dataset=source.dataset,
        out=Path(out),
        samples=attrs["counts"]["samples"],
        frames=frames,
        skipped=skipped_samples,
        excluded=dict(scan.excluded),
        splits=attrs["splits"],
        seconds=time.perf_counter() - t0,
        resumed_from=resumed_from,
        bytes=disk_size(Path(out)),
        raw_files=scan.files,
        notes=writer.notes,
        warnings=list(source.warnings),
    )


def _attributes(source: SkeletonSource, scan, specs, options: dict[str, Any], skipped: list[Skip],
                notes: list[Note]) -> dict[str, Any]:
    return {
        "dataset": source.dataset,
        "kind": "skeleton",
        "description": getattr(source, "description", source.dataset),
        "layout": layout_to_attrs(source.layout),
        "max_bodies": source.max_bodies,
        "classes": list(source.classes),
        "streams": {s.name: s.as_attrs() for s in specs},
        "id_fields": list(source.id_fields),
        "normalization": "none: raw camera coordinates (apply actionkit.normalize transforms at load time)",
        "source": {
            "raw": [str(p) for p in getattr(source, "raw", [])],
            "files": scan.files,
            "fingerprint": scan.fingerprint,
            "options": options,
        },
        "tool": {"name": "actionkit", "version": __version__},
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "skipped": [s.as_dict() for s in skipped],
        "excluded": dict(scan.excluded),
        "notes": [n.as_dict() for n in notes],
        "warnings": list(source.warnings),
    }
