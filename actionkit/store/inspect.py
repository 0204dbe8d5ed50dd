"""Summaries and integrity checks of a store: what ``actionkit info`` and ``verify`` show."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.store.reader import Store, open_store
from actionkit.store.schema import ATTRS_KEY, CORE_FIELDS, SCHEMA_VERSION

REQUIRED_ATTRS = ("schema_version", "dataset", "kind", "classes", "streams", "layout", "id_fields", "source",
                  "tool", "counts", "skipped", "excluded", "complete")


def disk_size(path: Path) -> int:
    """Bytes on disk under ``path``."""
    total = 0
    for dirpath, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total


def summarize(store: Store) -> dict[str, Any]:
    """A store's headline facts: classes, streams, splits, counts, size, provenance."""
    frames = store.samples.get("frames", np.zeros(0, np.int64))
    labels = store.samples.get("label", np.zeros(0, np.int64))
    per_class = np.bincount(labels, minlength=len(store.classes)) if len(labels) else np.zeros(len(store.classes), int)
    streams = {}
    for name, spec in store.attrs["streams"].items():
        arr = store.stream(name)
        streams[name] = {**spec, "shape": list(arr.shape), "bytes": disk_size(store.path / name)}
    return {
        "path": str(store.path),
        "dataset": store.dataset,
        "description": store.attrs.get("description", ""),
        "kind": store.kind,
        "layout": store.attrs["layout"]["name"] if "layout" in store.attrs else "frames",
        "samples": len(store),
        "classes": len(store.classes),
        "classes_present": int((per_class > 0).sum()),
        "per_class": per_class.tolist(),
        "frames_total": int(frames.sum()),
        "frames_min": int(frames.min()) if len(frames) else 0,
        "frames_max": int(frames.max()) if len(frames) else 0,
        "frames_mean": float(frames.mean()) if len(frames) else 0.0,
        "streams": streams,
        "splits": (store.attrs.get("splits")
                   or {p: {k: int(len(i)) for k, i in parts.items()} for p, parts in store.splits.items()}),
        "skipped": len(store.attrs.get("skipped", [])),
        "excluded": store.attrs.get("excluded", {}),
        "source": store.attrs.get("source", {}),
        "tool": store.attrs.get("tool", {}),
        "created": store.attrs.get("created", ""),
        "bytes": disk_size(store.path),
    }


@dataclass
class VerifyReport:
    """The outcome of :func:`verify_store`: ``ok`` when ``problems`` is empty."""

    path: Path
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(path: str | Path, *, block_frames: int = 262144) -> VerifyReport:
    """Check a store end to end: schema, offsets, splits, finiteness, checksums, derived streams.

    Every chunk of every array is read, so each crc32c checksum is checked; streams are
    read in blocks of ``block_frames`` frames to keep memory bounded.
    """
    report = VerifyReport(Path(path))
    try:
        store = open_store(path)
    except Exception as exc:
        report.problems.append(f"cannot open: {exc}")
        return report
    attrs = store.attrs
    video = attrs.get("kind") == "video"
    missing = [k for k in REQUIRED_ATTRS if k not in attrs and not (video and k == "layout")]
    if missing:
        report.problems.append(f"attributes '{ATTRS_KEY}' lack {missing}")
    if attrs.get("schema_version") != SCHEMA_VERSION:
        report.problems.append(f"schema_version {attrs.get('schema_version')} != {SCHEMA_VERSION}")
    report.checked.append("schema and attributes")

    n = len(store)
    fields = (*CORE_FIELDS, *attrs.get("id_fields", ()))
    for f in fields:
        if f not in store.samples:
            report.problems.append(f"samples/{f} is missing")
        elif len(store.samples[f]) != n:
            report.problems.append(f"samples/{f} has {len(store.samples[f])} entries, expected {n}")
    if report.problems:
        return report
    names = store.samples["name"]
    if len(set(names.tolist())) != n:
        report.problems.append("sample names are not unique")
    labels = store.samples["label"]
    if n and (labels.min() < 0 or labels.max() >= len(store.classes)):
        report.problems.append(f"labels outside [0, {len(store.classes)})")
    frames = store.samples["frames"].astype(np.int64)
    start = store.samples["start"].astype(np.int64)
    expected_start = np.concatenate([[0], np.cumsum(frames)[:-1]]) if n else start
    if (frames <= 0).any():
        report.problems.append(f"{int((frames <= 0).sum())} samples have no frames")
    if not np.array_equal(start, expected_start):
        bad = int(np.flatnonzero(start != expected_start)[0])
        report.problems.append(f"offsets are not contiguous (first at sample {bad}, {names[bad]})")
    total = int(frames.sum())
    if attrs.get("counts", {}).get("samples") not in (None, n):
        report.problems.append(f"counts.samples {attrs['counts']['samples']} != {n}")
    report.checked.append(f"{n} samples: fields, unique names, labels, offsets")

    for protocol, parts in store.splits.items():
        seen = np.zeros(n, dtype=bool)
        for part, idx in parts.items():
            if len(idx) and (idx.min() < 0 or idx.max() >= n):
                report.problems.append(f"splits/{protocol}/{part} has indices outside [0, {n})")
                continue
            if (np.diff(idx) <= 0).any():
                report.problems.append(f"splits/{protocol}/{part} is not sorted and unique")
            if seen[idx].any():
                report.problems.append(f"splits/{protocol}: {part} overlaps another part")
            seen[idx] = True
    report.checked.append(f"splits {sorted(store.splits)}: sorted, in range, disjoint")

    unreadable: set[str] = set()
    for name in store.stream_names:
        if store.is_encoded(name):
            _check_encoded(store, name, total, report)
            continue
        arr = store.stream(name)
        if arr.shape[0] != total:
            report.problems.append(f"stream {name} has {arr.shape[0]} frames, samples say {total}")
            continue
        nonfinite = 0
        for lo in range(0, total, block_frames):
            try:
                block = arr[lo:lo + block_frames]
            except Exception as exc:  # a checksum or decoding failure
                report.problems.append(f"stream {name}: frames {lo}-{lo + block_frames} unreadable ({exc})")
                unreadable.add(name)
                break
            nonfinite += int((~np.isfinite(block)).sum())
        if nonfinite:
            report.problems.append(f"stream {name}: {nonfinite} non-finite values")
    report.checked.append(f"streams {list(store.stream_names)}: {total} frames read, checksums and finiteness")

    derived = [s for s in ("motion", "bone") if s in store.stream_names and s not in unreadable]
    if "joint" in store.stream_names and "joint" not in unreadable and derived:
        _check_derived(store, np.asarray(store.layout.parents), derived, block_frames, report)
    return report


def _check_encoded(store: Store, name: str, total: int, report: VerifyReport, block_bytes: int = 1 << 26) -> None:
    """An encoded stream: records contiguous and inside the byte array, empty exactly where
    the schema says, and every byte read (so every checksum is checked)."""
    spec = store.attrs["streams"][name]
    index = store.stream(name)[:]
    blob = store._group[spec["bytes"]]
    if spec.get("per_sample"):
        total = len(store)  # one record per sample: row i is sample i's encoded file
    if index.shape[0] != total:
        report.problems.append(f"stream {name} has {index.shape[0]} frames, samples say {total}")
        return
    flat = index.reshape(-1, 2)
    ends = flat[:, 0] + flat[:, 1]
    if len(flat) and (flat[0, 0] != 0 or (flat[1:, 0] != ends[:-1]).any() or (flat[:, 1] < 0).any()):
        report.problems.append(f"stream {name}: image records are not contiguous")
    if (ends[-1] if len(flat) else 0) != blob.shape[0]:
        report.problems.append(f"stream {name}: records end at byte {int(ends[-1]) if len(flat) else 0}, "
                               f"the byte array holds {blob.shape[0]}")
    empty = (index[:, :, 1] == 0).any(axis=1)
    last = np.zeros(total, dtype=bool)
    if total and not spec.get("per_sample"):
        last[(store.samples["start"] + store.samples["frames"] - 1).astype(np.int64)] = True
    expected = last if spec.get("last_frame_empty") else np.zeros(total, dtype=bool)
    if (empty != expected).any():
        bad = int(np.flatnonzero(empty != expected)[0])
        report.problems.append(f"stream {name}: frame row {bad} is {'empty' if empty[bad] else 'not empty'}, "
                               f"expected the opposite")
    for lo in range(0, blob.shape[0], block_bytes):
        try:
            blob[lo:lo + block_bytes]
        except Exception as exc:
            report.problems.append(f"stream {name}: bytes {lo}-{lo + block_bytes} unreadable ({exc})")
            break
    report.checked.append(f"encoded stream {name}: {total} frame records, {blob.shape[0]:,} bytes read")


def _check_derived(store: Store, parents: np.ndarray, derived: list[str], block_frames: int,
                   report: VerifyReport) -> None:
    """Recompute motion and bone from joint, sample by sample, in blocks of whole samples."""
    start = store.samples["start"].astype(np.int64)
    frames = store.samples["frames"].astype(np.int64)
    i, n = 0, len(store)
    while i < n:
        j = i
        while j < n and start[j] + frames[j] - start[i] <= block_frames or j == i:
            j += 1
        lo, hi = int(start[i]), int(start[j - 1] + frames[j - 1])
        joint = store.stream("joint")[lo:hi].astype(np.float64)
        if "bone" in derived:
            want = joint - joint[:, :, parents]
            if not np.allclose(store.stream("bone")[lo:hi], want, atol=1e-5):
                report.problems.append(f"stream bone differs from joint[v] - joint[parent[v]] in samples {i}-{j - 1}")
        if "motion" in derived:
            want = np.zeros_like(joint)
            want[:-1] = joint[1:] - joint[:-1]
            ends = start[i:j] + frames[i:j] - 1 - lo
            want[ends] = 0
            if not np.allclose(store.stream("motion")[lo:hi], want, atol=1e-5):
                report.problems.append(f"stream motion differs from joint[t+1] - joint[t] in samples {i}-{j - 1}")
        i = j
    report.checked.append(f"derived streams {derived} recomputed from joint")
