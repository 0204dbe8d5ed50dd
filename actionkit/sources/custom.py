"""A skeleton dataset of the user's own: one file per sample and a labels file (``prepare custom``).

Sample files (``.npy``, ``.npz``, ``.csv``, ``.txt``) anywhere under the raw folder(s); a
sample's name is its file name without the suffix. Each holds one numeric matrix or
array, read as frames x joints x channels (see ``docs/custom.md``):

- ``[T, V, C]`` or ``[T, M, V, C]`` arrays (``.npy`` / ``.npz``);
- a ``[T, M * V * C]`` matrix, one frame a row (body, then joint, then channel);
- the same with a leading frame-number column (``[T, 1 + M * V * C]``, UTKinect's files);
- a ``[T * V, C]`` (or ``[T * V, C + 1]``) matrix, one joint a row, V rows a frame, the
  extra column (a Kinect tracking confidence) dropped (MSR Action3D's files).

C is 3: x, y, z for 3D layouts; x, y, score for 2D ones (``coco17``, ``openpose18``, or a
JSON layout with ``"channels": ["x", "y", "score"]``), where files without a score column
(C = 2) get a score of 1.

The labels file (CSV, or TSV when it has tabs) has one row per sample: ``name,label`` and
optional further columns, with a header row when its first cell is ``name``. ``label`` is
a class index (0-based) or a class name (classes are then the sorted names, unless
``classes`` gives them). A column named ``split`` gives protocol ``default``; any other
column of words (``train`` / ``test`` ...) is a protocol of its own name; columns of
integers (subject, view, ...) become the store's id fields.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.layouts import Layout
from actionkit.sources.base import SampleError, SampleRef, ScanResult, SkeletonSource, Skip

SUFFIXES = (".npy", ".npz", ".csv", ".txt")
#: Built-in layouts of 2D pose estimators (x, y, score channels).
LAYOUTS_2D = ("coco17", "openpose18")
#: Keys an ``.npz`` sample's array may have, when the file holds several.
NPZ_KEYS = ("keypoint", "skeleton", "joints", "data", "x", "arr_0")


@dataclass(frozen=True)
class LabelTable:
    """The labels file, parsed: per sample name its label, ids and split parts."""

    labels: dict[str, int]
    ids: dict[str, dict[str, int]]
    parts: dict[str, dict[str, str]]  # name -> {protocol: part}
    classes: tuple[str, ...]
    id_fields: tuple[str, ...]
    protocols: tuple[str, ...]
    problems: dict[str, str]  # name -> why its row is unusable


def _read_rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the labels file ({exc})") from None
    delimiter = "\t" if "\t" in text.split("\n", 1)[0] else ","
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
            if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def read_labels(path: Path, classes: list[str] | None = None) -> LabelTable:
    """Parse a labels file (see the module docstring).

    Raises:
        ValueError: an empty file, duplicate or missing column names, or rows of another width.
    """
    rows = _read_rows(path)
    if not rows:
        raise ValueError(f"{path}: the labels file is empty")
    if rows[0][0].lower() == "name":
        header, rows = [c.lower() for c in rows[0]], rows[1:]
    else:
        header = ["name", "label", "split"][: len(rows[0])] + [f"column{i}" for i in range(4, len(rows[0]) + 1)]
    if len(header) < 2 or header[1] != "label" or len(set(header)) != len(header):
        raise ValueError(f"{path}: the columns must be name,label[,...] with distinct names; got {','.join(header)}")
    bad = [i for i, r in enumerate(rows) if len(r) != len(header)]
    if bad:
        raise ValueError(f"{path}: row {bad[0] + 1 + (header[0] == 'name')} has {len(rows[bad[0]])} cells, "
                         f"the header {len(header)}")
    extra = header[2:]
    numeric = [c for k, c in enumerate(extra) if rows and all(_is_int(r[k + 2]) for r in rows)]
    protocols = tuple("default" if c == "split" else c for c in extra if c not in numeric)
    label_cells = [r[1] for r in rows]
    by_index = all(_is_int(v) for v in label_cells if v)
    if classes is None:
        if by_index:
            top = max([int(v) for v in label_cells if v] + [-1])
            classes = [str(i) for i in range(top + 1)]
        else:
            classes = sorted({v for v in label_cells if v})
    lookup = {c: i for i, c in enumerate(classes)}
    labels: dict[str, int] = {}
    ids: dict[str, dict[str, int]] = {}
    parts: dict[str, dict[str, str]] = {}
    problems: dict[str, str] = {}
    for r in rows:
        name, value = r[0], r[1]
        if name in labels or name in problems:
            problems[name] = "listed twice in the labels file"
            labels.pop(name, None)
            continue
        label = int(value) if by_index and _is_int(value) else lookup.get(value)
        if label is None or not 0 <= label < len(classes):
            problems[name] = f"unknown label {value!r} (classes: {len(classes)})"
            continue
        labels[name] = label
        ids[name] = {c: int(r[k + 2]) for k, c in enumerate(extra) if c in numeric}
        parts[name] = {("default" if c == "split" else c): r[k + 2] for k, c in enumerate(extra)
                       if c not in numeric and r[k + 2]}
    return LabelTable(labels, ids, parts, tuple(classes), tuple(numeric), protocols, problems)


def _matrix(path: Path) -> np.ndarray:
    """The numbers of a sample file (see the module docstring), unconverted."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                key = keys[0] if len(keys) == 1 else next((k for k in NPZ_KEYS if k in keys), None)
                if key is None:
                    raise SampleError(f"an .npz of several arrays ({', '.join(keys)}) and none named "
                                      f"{' / '.join(NPZ_KEYS)}")
                return z[key]
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise SampleError(f"unreadable file ({exc})") from None
    rows = []
    for k, line in enumerate(text.splitlines()):
        cells = line.replace(",", " ").replace(";", " ").split()
        if not cells:
            continue
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            if not rows and k == 0:
                continue  # a header line
            raise SampleError(f"line {k + 1}: not a row of numbers") from None
    if not rows:
        raise SampleError("no rows of numbers")
    width = {len(r) for r in rows}
    if len(width) != 1:
        raise SampleError(f"rows of different lengths ({', '.join(map(str, sorted(width)))} numbers)")
    return np.asarray(rows, dtype=np.float64)


def to_frames(x: np.ndarray, joints: int, two_d: bool) -> np.ndarray:
    """A sample's array as float32 ``[T, M, V, 3]`` (module docstring's shapes).

    Raises:
        SampleError: a shape that none of the accepted forms explains.
    """
    if x.dtype.kind not in "fiu":
        raise SampleError(f"an array of {x.dtype}, expected numbers")
    widths = (3, 2) if two_d else (3,)
    what = "x, y[, score]" if two_d else "x, y, z"
    if x.ndim == 2:
        t, k = x.shape
        for c in widths:
            for drop in (0, 1):  # 1: a leading frame-number column
                if k - drop > 0 and (k - drop) % (joints * c) == 0:
                    m = (k - drop) // (joints * c)
                    return _channels(x[:, drop:].reshape(t, m, joints, c), two_d)
        for c in widths:
            if k in (c, c + 1) and t % joints == 0:
                return _channels(x[:, :c].reshape(t // joints, 1, joints, c), two_d)
        raise SampleError(f"a {t} x {k} matrix is neither frames x (bodies*{joints} joints*channels) nor "
                          f"(frames*{joints} joints) x channels ({what})")
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim == 4 and x.shape[2] == joints and x.shape[3] in widths + ((4,) if not two_d else ()):
        return _channels(x[..., :3] if not two_d else x, two_d)
    raise SampleError(f"an array of shape {x.shape}; expected [frames, {joints}, C] or [frames, bodies, {joints}, C] "
                      f"with C the channels {what}")


def _channels(x: np.ndarray, two_d: bool) -> np.ndarray:
    if x.shape[-1] == 3:
        return np.ascontiguousarray(x, dtype=np.float32)
    out = np.ones((*x.shape[:-1], 3), dtype=np.float32)  # 2D without a score: score 1
    out[..., :2] = x
    return out


class CustomSource(SkeletonSource):
    """A folder of per-sample files and a labels file (see the module docstring).

    Args:
        raw: Folders (or single files) holding the sample files.
        layout: The skeleton layout of every file.
        labels: The labels file.
        classes: Class names in label order (default: from the labels file).
        channels: ``("x", "y", "z")`` or ``("x", "y", "score")``; default: 2D for the
            built-in 2D layouts, else 3D.
        dataset: The store's dataset id.

    Raises:
        FileNotFoundError: a raw path or the labels file is missing.
        ValueError: an unreadable labels file.
    """

    def __init__(self, raw: list[Path], layout: Layout, labels: Path, classes: list[str] | None = None,
                 channels: tuple[str, ...] | None = None, dataset: str = "custom"):
        self.raw = [Path(p) for p in raw]
        for p in [*self.raw, Path(labels)]:
            if not p.exists():
                raise FileNotFoundError(f"{p}: no such file or folder")
        self.layout = layout
        self.labels_path = Path(labels)
        self.table = read_labels(self.labels_path, classes)
        self.classes = self.table.classes
        self.id_fields = self.table.id_fields
        self.channels = tuple(channels or (("x", "y", "score") if layout.name in LAYOUTS_2D else ("x", "y", "z")))
        if self.channels not in (("x", "y", "z"), ("x", "y", "score")):
            raise ValueError(f"channels {self.channels}: use x,y,z or x,y,score")
        self.two_d = self.channels[2] == "score"
        self.units = "px" if self.two_d else "m"
        self.dataset = dataset
        self.description = f"custom skeleton dataset ({layout.name}, {', '.join(self.channels)})"
        self.max_bodies = 1
        self.warnings: list[str] = []

    def options(self) -> dict[str, Any]:
        return {"layout": self.layout.name, "channels": list(self.channels),
                "labels": self.labels_path.name}

    def _files(self) -> list[Path]:
        files = []
        for root in self.raw:
            if root.is_file():
                files.append(root)
            else:
                files += [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                          and p.resolve() != self.labels_path.resolve()]
        return sorted(files, key=lambda p: (p.stem, str(p)))

    def scan(self) -> ScanResult:
        files = self._files()
        refs: list[SampleRef] = []
        skipped: list[Skip] = []
        seen: set[str] = set()
        bodies = 1
        digest = hashlib.sha256()
        stems: dict[str, list[Path]] = {}
        for path in files:
            stems.setdefault(path.stem, []).append(path)
        for path in files:
            digest.update(f"{path.name}\t{path.stat().st_size}\n".encode())
            name = path.stem
            if len(stems[name]) > 1:
                if name not in seen:
                    others = ", ".join(str(p) for p in stems[name])
                    skipped.append(Skip(name, str(path), f"{len(stems[name])} files have this name ({others})"))
                seen.add(name)
                continue
            seen.add(name)
            if name in self.table.problems:
                skipped.append(Skip(name, str(path), self.table.problems[name]))
                continue
            if name not in self.table.labels:
                skipped.append(Skip(name, str(path), f"not in the labels file {self.labels_path.name}"))
                continue
            bodies = max(bodies, self._bodies(path))
            refs.append(SampleRef(name, self.table.labels[name], self.table.ids[name], str(path), str(path)))
        self.max_bodies = bodies
        listed = set(self.table.labels) - seen
        if listed:
            shown = ", ".join(sorted(listed)[:5])
            self.warnings.append(f"{len(listed)} names of the labels file have no sample file (e.g. {shown})")
        return ScanResult(refs=refs, skipped=skipped, files=len(files), fingerprint=digest.hexdigest()[:16])

    def _bodies(self, path: Path) -> int:
        """The bodies of one file, from its shape (a cheap look: the header or the first line)."""
        try:
            if path.suffix.lower() == ".npy":
                shape = np.load(path, mmap_mode="r", allow_pickle=False).shape
            elif path.suffix.lower() == ".npz":
                return int(to_frames(_matrix(path), self.layout.num_joints, self.two_d).shape[1])
            else:
                with open(path, encoding="utf-8-sig", errors="replace") as fh:
                    lines = [ln for ln in (fh.readline() for _ in range(2)) if ln.strip()]
                cells = [len(ln.replace(",", " ").replace(";", " ").split()) for ln in lines]
                shape = (1, cells[-1]) if cells else (0,)
        except (OSError, ValueError, SampleError):
            return 1  # read() reports it
        v = self.layout.num_joints
        if len(shape) == 4:
            return int(shape[1])
        if len(shape) == 2:
            for c in ((3, 2) if self.two_d else (3,)):
                for drop in (0, 1):
                    if shape[1] - drop > 0 and (shape[1] - drop) % (v * c) == 0:
                        return (shape[1] - drop) // (v * c)
        return 1

    def read(self, ref: SampleRef) -> np.ndarray:
        x = to_frames(_matrix(Path(ref.locator)), self.layout.num_joints, self.two_d)
        if len(x) == 0:
            raise SampleError("no frames")
        if x.shape[1] > self.max_bodies:
            raise SampleError(f"{x.shape[1]} bodies, more than the {self.max_bodies} the scan found")
        if x.shape[1] < self.max_bodies:
            pad = np.zeros((len(x), self.max_bodies, *x.shape[2:]), dtype=np.float32)
            pad[:, :x.shape[1]] = x
            x = pad
        return x

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        out: dict[str, dict[str, list[int]]] = {}
        for i, name in enumerate(names):
            for protocol, part in self.table.parts.get(str(name), {}).items():
                out.setdefault(protocol, {}).setdefault(part, []).append(i)
        return {p: {part: np.asarray(idx, dtype=np.int32) for part, idx in sorted(parts.items())}
                for p, parts in out.items()}


def channels_from_layout_json(path: Path) -> tuple[str, ...] | None:
    """The ``channels`` a JSON layout file declares, if any."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    ch = data.get("channels") if isinstance(data, dict) else None
    return tuple(ch) if isinstance(ch, list) else None
