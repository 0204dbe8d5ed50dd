"""Raw skeleton download -> canonical skeleton store: the pipeline behind ``actionkit prepare`` for skeletons.

Worker processes parse samples (the source's ``read``); the main process derives the
motion and bone streams, and streams everything into a :class:`StoreWriter` in scan
order, so memory stays bounded and a killed run resumes where its journal stopped.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.kernels.streams import bone, motion
from actionkit.parallel import ordered_map
from actionkit.prepare.finish import finish_store, provenance
from actionkit.reports import Note, PrepareError, PrepareReport, Skip
from actionkit.sources.base import SampleError, SampleNote, SampleRef, SkeletonSource
from actionkit.store.inspect import disk_size
from actionkit.store.reader import layout_to_attrs
from actionkit.store.schema import SHARD_FRAMES, SKELETON_STREAMS, skeleton_streams
from actionkit.store.writer import StoreWriter

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
    skipped_samples = scan.skipped + writer.skips
    attrs = _attributes(source, scan, specs, options, skipped_samples, writer.notes)
    finish_store(writer, source, attrs, scan.excluded)
    return PrepareReport(
        dataset=source.dataset,
        out=Path(out),
        samples=attrs["counts"]["samples"],
        frames=attrs["counts"]["frames"],
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
        "streams": {s.name: _stream_attrs(s, source) for s in specs},
        "id_fields": list(source.id_fields),
        "normalization": "none: raw camera coordinates (apply actionkit.normalize transforms at load time)",
        **provenance(source, scan, options, skipped, notes),
    }


def _stream_attrs(spec, source: SkeletonSource) -> dict[str, Any]:
    """A stream's attributes; a source of other channels than x, y, z (2D keypoints: x, y, score) names them."""
    attrs = spec.as_attrs()
    channels = tuple(getattr(source, "channels", ("x", "y", "z")))
    if channels != ("x", "y", "z"):
        attrs["axes"] = [*attrs["axes"][:-1], "channel"]
        attrs["channels"] = list(channels)
        attrs["units"] = getattr(source, "units", attrs["units"])
    return attrs
