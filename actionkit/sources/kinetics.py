"""Kinetics-400 clips and the official annotation CSVs.

Annotations: ``train.csv``, ``validate.csv`` (``test.csv``) with the header
``label,youtube_id,time_start,time_end,split`` (some copies add ``is_cc``; labels may be
quoted and hold spaces, so a CSV parser reads them), in the folder given by
``annotations`` or anywhere under the raw folders. Clips: ``<youtube_id>_<start:06d>_<end:06d>.mp4``
(or ``.mkv``/``.webm``/``.avi``), usually in a folder per class; a YouTube id is 11
characters and may begin with ``-`` or hold ``_``, so names are parsed from the right.
Copies that name clips by the id alone (``<youtube_id>.mp4``) are matched by id.

Classes are the sorted labels of the annotated rows (400). Rows without a clip (every
copy misses some) are counted in ``excluded``; clips without a row are skipped and
listed. Protocol ``official``: ``train`` and ``val`` (test rows carry no label).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path, PurePosixPath

import numpy as np

from actionkit.reports import Skip
from actionkit.sources.base import SampleError, SampleRef, ScanResult, VideoClip, VideoSource
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files, read_raw
from actionkit.sources.videofiles import video_clip

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi")
CLIP_RE = re.compile(r"^(?P<id>.+)_(?P<start>\d{6})_(?P<end>\d{6})$")
HEADER = ("label", "youtube_id", "time_start", "time_end", "split")
PARTS = {"train": "train", "validate": "val", "val": "val"}


def read_annotations(path: Path) -> list[dict[str, str]]:
    """Rows of one annotation CSV (``label`` empty for unlabelled test rows).

    Raises:
        ValueError: a missing column or a malformed row (names the file and line).
    """
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in HEADER[1:] if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{path}: not a Kinetics annotation file (columns {reader.fieldnames}, missing {missing})")
    rows = []
    for line, row in enumerate(reader, start=2):
        try:
            row["time_start"], row["time_end"] = str(int(float(row["time_start"]))), str(int(float(row["time_end"])))
        except (TypeError, ValueError):
            raise ValueError(f"{path} line {line}: times {row.get('time_start')!r}, {row.get('time_end')!r} "
                             f"are not numbers") from None
        if not row.get("youtube_id"):
            raise ValueError(f"{path} line {line}: empty youtube_id")
        rows.append({k: (row.get(k) or "").strip() for k in HEADER})
    return rows


def clip_name(youtube_id: str, start: int, end: int) -> str:
    return f"{youtube_id}_{start:06d}_{end:06d}"


class KineticsSource(VideoSource):
    """Kinetics-400 (or any Kinetics-style set of clips and annotation CSVs).

    Args:
        raw: Folders and/or zip archives holding the clips.
        annotations: A folder of annotation CSVs, or one CSV; default: CSVs under ``raw``.
        dataset: The store id (``kinetics400``).

    Raises:
        FileNotFoundError: no clip or no annotation CSV (says where it looked).
        ValueError: a malformed annotation file.
    """

    id_fields = ("time_start", "time_end")
    modalities = ("rgb",)

    def __init__(self, raw, annotations: Path | None = None, dataset: str = "kinetics400"):
        self.raw = [Path(p).expanduser() for p in (raw if isinstance(raw, (list, tuple)) else [raw])]
        self.dataset = dataset
        self.description = f"{dataset}: YouTube clips of about 10 s"
        self._listing = list_raw_files(self.raw, VIDEO_SUFFIXES)
        if not self._listing.files:
            raise FileNotFoundError(f"Kinetics: no clip ({', '.join(VIDEO_SUFFIXES)}) under "
                                    f"{', '.join(map(str, self.raw))}")
        where = [Path(annotations).expanduser()] if annotations else self.raw
        csvs = []
        for root in where:
            candidates = [root] if root.is_file() else sorted(root.rglob("*.csv"))
            for path in candidates:
                with open(path, encoding="utf-8-sig") as fh:
                    if "youtube_id" in fh.readline():
                        csvs.append(path)
        if not csvs:
            raise FileNotFoundError(f"Kinetics: no annotation CSV (header {','.join(HEADER)}) in "
                                    f"{', '.join(map(str, where))}; pass --annotations")
        self.annotations = csvs
        self.rows = [row for path in csvs for row in read_annotations(path)]
        self.classes = tuple(sorted({r["label"] for r in self.rows if r["label"]}))
        self.warnings: list[str] = []

    def options(self) -> dict:
        return {"annotations": [str(p) for p in self.annotations]}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        by_name: dict[str, RawFile] = {}
        by_id: dict[str, RawFile] = {}
        for f in self._listing.files:
            stem = PurePosixPath(f.name).stem
            m = CLIP_RE.match(stem)
            key, table = (stem, by_name) if m else (stem, by_id)
            if key in table:
                skipped.append(Skip(stem, f.display, f"duplicate clip (using {table[key].display})"))
                continue
            table[key] = f
        label_of = {c: i for i, c in enumerate(self.classes)}
        refs, used, seen = [], set(), set()
        excluded: dict[str, int] = {}
        for row in sorted(self.rows, key=lambda r: (r["youtube_id"], int(r["time_start"]))):
            start, end = int(row["time_start"]), int(row["time_end"])
            name = clip_name(row["youtube_id"], start, end)
            if name in seen:
                continue
            seen.add(name)
            part = PARTS.get(row["split"])
            if part is None or not row["label"]:
                rule = f"{row['split'] or 'unknown'} rows (no label)"
                excluded[rule] = excluded.get(rule, 0) + 1
                continue
            f = by_name.get(name) or by_id.get(row["youtube_id"])
            if f is None:
                excluded["annotated, but no clip in the download"] = \
                    excluded.get("annotated, but no clip in the download", 0) + 1
                continue
            used.add(f)
            refs.append(SampleRef(name, label_of[row["label"]], {"time_start": start, "time_end": end},
                                  (f, part), f.display))
        for f in self._listing.files:
            if f not in used and not any(s.path == f.display for s in skipped):
                skipped.append(Skip(PurePosixPath(f.name).stem, f.display, "no annotation row for this clip"))
        refs.sort(key=lambda r: r.name)
        return ScanResult(refs, skipped, excluded, files=len(self._listing.files),
                          fingerprint=fingerprint(sorted(used)))

    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        return video_clip(ref.locator[0])

    def encoded_video(self, ref: SampleRef) -> bytes:
        try:
            return read_raw(ref.locator[0])
        except OSError as exc:
            raise SampleError(f"unreadable file ({exc})") from None

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        part_of = {clip_name(r["youtube_id"], int(r["time_start"]), int(r["time_end"])): PARTS.get(r["split"])
                   for r in self.rows}
        parts = np.array([part_of.get(str(n)) for n in names])
        return {"official": {p: np.flatnonzero(parts == p).astype(np.int32) for p in ("train", "val")}}
