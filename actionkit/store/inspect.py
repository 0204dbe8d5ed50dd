"""Summaries and integrity checks of a store: what ``actionkit info`` and ``verify`` show."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.store.manifest import array_paths, check_manifest, describe_problem, integrity_checks
from actionkit.store.reader import Store, open_store
from actionkit.store.schema import ATTRS_KEY, CORE_FIELDS, READABLE_VERSIONS

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
    """The outcome of :func:`verify_store`.

    Attributes:
        path: The store.
        results: ``(check, problems)`` in the order run; a check passed when its list is empty.
        warnings: What could not be checked (a store without a chunk manifest).
    """

    path: Path
    results: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def checked(self) -> list[str]:
        """The checks that passed."""
        return [name for name, problems in self.results if not problems]

    @property
    def problems(self) -> list[str]:
        return [p for _, problems in self.results for p in problems]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.problems


def verify_store(path: str | Path, *, block_frames: int = 262144) -> VerifyReport:
    """Check a store end to end: schema, chunk manifest, offsets, splits, finiteness, checksums,
    derived streams.

    Every chunk of every array is read, so each crc32c checksum is checked; streams are
    read in blocks of ``block_frames`` frames to keep memory bounded. A damaged store never
    makes this raise: each check reports what it found (or that it could not run).
    """
    report = VerifyReport(Path(path))
    root = Path(path).expanduser()
    # First what needs no zarr: the root attributes, every array's metadata, the manifest.
    try:
        attrs = json.loads((root / "zarr.json").read_bytes())["attributes"][ATTRS_KEY]
    except Exception as exc:
        report.results.append(("open the store", [f"{root / 'zarr.json'}: no readable actionkit root metadata "
                                                  f"({type(exc).__name__}: {exc})"]))
        return report
    meta_problems = []
    for rel in array_paths(root):
        try:
            json.loads((root / rel / "zarr.json").read_bytes())
        except (OSError, ValueError) as exc:
            meta_problems.append(f"array {rel}: metadata {root / rel / 'zarr.json'} unreadable ({exc})")
    report.results.append(("metadata of every array parses", meta_problems))
    if "manifest" in attrs:
        found = check_manifest(root, attrs["manifest"], deep=True)
        report.results.append((f"chunk manifest: {attrs['manifest'].get('chunks', '?')} objects of "
                               f"{attrs['manifest'].get('arrays', '?')} arrays present, sizes and CRC-32C as written",
                               [describe_problem(root, attrs, p) for p in found]))
        missing = {p.array for p in found if p.what == "missing"}
    else:
        report.warnings.append("no chunk manifest (the store was written before schema 2): a deleted chunk would "
                               "read as zeros and cannot be detected; prepare the store again to add one")
        missing = set()
    try:
        with integrity_checks(False):  # open even a damaged store: the checks below say what is wrong
            store = open_store(path)
    except Exception as exc:
        report.results.append(("open the store", [f"cannot open: {exc}"]))
        return report
    state: dict[str, Any] = {"unreadable": missing}

    def run(check, *args) -> bool:
        problems: list[str] = []
        try:
            name = check(store, problems, state, *args)
        except Exception as exc:  # a damaged store must not crash verify
            name = check.__doc__.splitlines()[0].rstrip(".") if check.__doc__ else check.__name__
            problems.append(f"{name}: could not finish ({type(exc).__name__}: {exc})")
        report.results.append((name, problems))
        return not problems

    run(_check_attrs)
    fields_ok = run(_check_samples)
    run(_check_splits)
    if not fields_ok:
        report.results.append(("streams", ["not checked: the sample fields are damaged (see above)"]))
        return report
    for name in store.stream_names:
        run(_check_encoded if store.is_encoded(name) else _check_stream, name, block_frames)
    derived = [s for s in ("motion", "bone") if s in store.stream_names and s not in state["unreadable"]]
    if "joint" in store.stream_names and "joint" not in state["unreadable"] and derived:
        run(_check_derived, derived, block_frames)
    return report


def _check_attrs(store: Store, problems: list[str], state: dict) -> str:
    """Schema and attributes."""
    attrs = store.attrs
    video = attrs.get("kind") == "video"
    missing = [k for k in REQUIRED_ATTRS if k not in attrs and not (video and k == "layout")]
    if missing:
        problems.append(f"attributes '{ATTRS_KEY}' lack {missing}")
    if attrs.get("schema_version") not in READABLE_VERSIONS:
        problems.append(f"schema_version {attrs.get('schema_version')} is not one of {READABLE_VERSIONS}")
    return f"schema {attrs.get('schema_version')} and attributes"


def _check_samples(store: Store, problems: list[str], state: dict) -> str:
    """Sample fields."""
    attrs = store.attrs
    n = len(store)
    fields = (*CORE_FIELDS, *attrs.get("id_fields", ()))
    for f in fields:
        if f not in store.samples:
            problems.append(f"samples/{f} is missing")
        elif len(store.samples[f]) != n:
            problems.append(f"samples/{f} has {len(store.samples[f])} entries, expected {n}")
    if problems:
        return "sample fields"
    names = store.samples["name"]
    if len(set(names.tolist())) != n:
        problems.append("sample names are not unique")
    labels = store.samples["label"]
    if n and (labels.min() < 0 or labels.max() >= len(store.classes)):
        problems.append(f"labels outside [0, {len(store.classes)})")
    frames = store.samples["frames"].astype(np.int64)
    start = store.samples["start"].astype(np.int64)
    expected_start = np.concatenate([[0], np.cumsum(frames)[:-1]]) if n else start
    if (frames <= 0).any():
        problems.append(f"{int((frames <= 0).sum())} samples have no frames")
    if not np.array_equal(start, expected_start):
        bad = int(np.flatnonzero(start != expected_start)[0])
        problems.append(f"offsets are not contiguous (first at sample {bad}, {names[bad]})")
    if attrs.get("counts", {}).get("samples") not in (None, n):
        problems.append(f"counts.samples {attrs['counts']['samples']} != {n}")
    ends = start + frames
    for name, spec in attrs.get("streams", {}).items():  # the offsets against every stream's length
        if spec.get("per_sample"):
            continue
        length = store.stream(name).shape[0]
        if n and ends.max() > length:
            bad = int(np.flatnonzero(ends > length)[0])
            problems.append(f"sample {bad} ({names[bad]}) ends at frame {int(ends[bad])}, but stream {name} has "
                            f"{length} frames")
        elif int(frames.sum()) != length:
            problems.append(f"stream {name} has {length} frames, the samples' frames add up to {int(frames.sum())}")
    return f"{n} samples: fields, unique names, labels, offsets against every stream's length"


def _check_splits(store: Store, problems: list[str], state: dict) -> str:
    """Splits."""
    n = len(store)
    for protocol, parts in store.splits.items():
        seen = np.zeros(n, dtype=bool)
        for part, idx in parts.items():
            if len(idx) and (idx.min() < 0 or idx.max() >= n):
                problems.append(f"splits/{protocol}/{part} has indices outside [0, {n})")
                continue
            if (np.diff(idx) <= 0).any():
                problems.append(f"splits/{protocol}/{part} is not sorted and unique")
            if seen[idx].any():
                problems.append(f"splits/{protocol}: {part} overlaps another part")
            seen[idx] = True
    return f"splits {sorted(store.splits)}: sorted, in range, disjoint"


def _check_stream(store: Store, problems: list[str], state: dict, name: str, block_frames: int) -> str:
    """A numeric stream: every block readable (checksums), every value finite."""
    arr = store.stream(name)
    total = int(store.samples["frames"].astype(np.int64).sum())
    if arr.shape[0] != total:
        problems.append(f"stream {name} has {arr.shape[0]} frames, samples say {total}")
        state["unreadable"].add(name)
        return f"stream {name}"
    start = store.samples["start"].astype(np.int64)
    nonfinite, first = 0, None
    for lo in range(0, total, block_frames):
        try:
            block = arr[lo:lo + block_frames]
        except Exception as exc:  # a checksum or decoding failure
            problems.append(f"stream {name}: frames {lo}-{min(lo + block_frames, total) - 1} unreadable ({exc})")
            state["unreadable"].add(name)
            break
        bad = ~np.isfinite(block.reshape(len(block), -1)).all(axis=1)
        if bad.any():
            nonfinite += int((~np.isfinite(block)).sum())
            if first is None:
                first = lo + int(np.flatnonzero(bad)[0])
    if nonfinite:
        i = int(np.searchsorted(start, first, "right")) - 1
        problems.append(f"stream {name}: {nonfinite} non-finite values (first in sample {i}, "
                        f"{store.samples['name'][i]}, frame {first - int(start[i])}); the store was modified after "
                        f"prepare: prepare it again")
    return f"stream {name}: {total} frames read, checksums and finiteness"


def _check_encoded(store: Store, problems: list[str], state: dict, name: str, block_frames: int,
                   block_bytes: int = 1 << 26) -> str:
    """An encoded stream: records contiguous and inside the byte array, empty exactly where
    the schema says, and every byte read (so every checksum is checked)."""
    spec = store.attrs["streams"][name]
    total = int(store.samples["frames"].astype(np.int64).sum())
    index = store.stream(name)[:]
    blob = store._group[spec["bytes"]]
    if spec.get("per_sample"):
        total = len(store)  # one record per sample: row i is sample i's encoded file
    if index.shape[0] != total:
        problems.append(f"stream {name} has {index.shape[0]} frames, samples say {total}")
        return f"encoded stream {name}"
    flat = index.reshape(-1, 2)
    ends = flat[:, 0] + flat[:, 1]
    if len(flat) and (flat[0, 0] != 0 or (flat[1:, 0] != ends[:-1]).any() or (flat[:, 1] < 0).any()):
        problems.append(f"stream {name}: image records are not contiguous")
    if (ends[-1] if len(flat) else 0) != blob.shape[0]:
        problems.append(f"stream {name}: records end at byte {int(ends[-1]) if len(flat) else 0}, "
                        f"the byte array holds {blob.shape[0]}")
    empty = (index[:, :, 1] == 0).any(axis=1)
    last = np.zeros(total, dtype=bool)
    if total and not spec.get("per_sample"):
        last[(store.samples["start"] + store.samples["frames"] - 1).astype(np.int64)] = True
    expected = last if spec.get("last_frame_empty") else np.zeros(total, dtype=bool)
    if (empty != expected).any():
        bad = int(np.flatnonzero(empty != expected)[0])
        problems.append(f"stream {name}: frame row {bad} is {'empty' if empty[bad] else 'not empty'}, "
                        f"expected the opposite")
    for lo in range(0, blob.shape[0], block_bytes):
        try:
            blob[lo:lo + block_bytes]
        except Exception as exc:
            problems.append(f"stream {name}: bytes {lo}-{lo + block_bytes} unreadable ({exc})")
            break
    return f"encoded stream {name}: {total} frame records, {blob.shape[0]:,} bytes read"


def _check_derived(store: Store, problems: list[str], state: dict, derived: list[str], block_frames: int) -> str:
    """Recompute motion and bone from joint, sample by sample, in blocks of whole samples."""
    parents = np.asarray(store.layout.parents)
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
                problems.append(f"stream bone differs from joint[v] - joint[parent[v]] in samples {i}-{j - 1}")
        if "motion" in derived:
            want = np.zeros_like(joint)
            want[:-1] = joint[1:] - joint[:-1]
            ends = start[i:j] + frames[i:j] - 1 - lo
            want[ends] = 0
            if not np.allclose(store.stream("motion")[lo:hi], want, atol=1e-5):
                problems.append(f"stream motion differs from joint[t+1] - joint[t] in samples {i}-{j - 1}")
        i = j
    return f"derived streams {derived} recomputed from joint"
