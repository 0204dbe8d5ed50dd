"""Something-Something v2: ``<id>.webm`` videos and the JSON label files.

Labels: ``something-something-v2-labels.json`` maps a template (``"Putting [something]
on [something]"`` without brackets: ``"Putting something on something"``) to its class
index as a string (174 classes); ``something-something-v2-train.json`` and
``-validation.json`` are arrays of ``{"id", "label", "template", "placeholders"}``, where
the class is the ``template`` with ``[`` and ``]`` removed; ``-test.json`` records hold
``id`` only and are counted in ``excluded``. Videos: ``<id>.webm`` (VP9, 240 px high,
about 12 fps), stored whole (``--as-video``, the default) or as frames. Protocol
``official``: ``train``, ``val``.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import numpy as np

from actionkit.reports import Skip
from actionkit.sources.base import SampleError, SampleRef, ScanResult, VideoClip, VideoSource
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files, read_raw
from actionkit.sources.videofiles import video_clip

LABELS = "something-something-v2-labels.json"
PART_FILES = {"train": "something-something-v2-train.json", "val": "something-something-v2-validation.json",
              "test": "something-something-v2-test.json"}


def template_class(template: str) -> str:
    """The class of a record: its template with the placeholder brackets removed."""
    return template.replace("[", "").replace("]", "")


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable JSON ({exc})") from None


class SSv2Source(VideoSource):
    """Something-Something v2 (174 classes).

    Args:
        raw: Folders and/or zip archives holding ``<id>.webm``.
        labels: The folder of the label JSON files; default: searched for under ``raw``.

    Raises:
        FileNotFoundError: no video, or no labels file (says where it looked).
        ValueError: malformed label files (names the file and the record).
    """

    dataset = "ssv2"
    description = "Something-Something v2 (174 template classes, crowd-sourced object interactions)"
    id_fields = ("id",)
    modalities = ("rgb",)

    def __init__(self, raw, labels: Path | None = None):
        self.raw = [Path(p).expanduser() for p in (raw if isinstance(raw, (list, tuple)) else [raw])]
        self._listing = list_raw_files(self.raw, (".webm", ".mp4"))
        if not self._listing.files:
            raise FileNotFoundError(f"Something-Something v2: no <id>.webm video under {', '.join(map(str, self.raw))}")
        folder = Path(labels).expanduser() if labels else self._find_labels()
        if not (folder / LABELS).exists():
            raise FileNotFoundError(f"Something-Something v2: no {LABELS} in {folder}; pass --annotations with the "
                                    f"labels folder")
        self.labels_dir = folder
        index = _load(folder / LABELS)
        if not isinstance(index, dict) or sorted(int(v) for v in index.values()) != list(range(len(index))):
            raise ValueError(f"{folder / LABELS}: expected {{template: \"index\"}} with indices 0..N-1")
        self.classes = tuple(t for t, _ in sorted(index.items(), key=lambda kv: int(kv[1])))
        self.warnings: list[str] = []
        self.records: dict[str, list[dict]] = {}
        for part, name in PART_FILES.items():
            path = folder / name
            if not path.exists():
                self.warnings.append(f"{path} not found: no {part} samples")
                continue
            records = _load(path)
            for k, rec in enumerate(records):
                if not isinstance(rec, dict) or "id" not in rec or (part != "test" and "template" not in rec):
                    raise ValueError(f"{path} record {k}: expected {{\"id\", \"template\", ...}}, got {rec!r:.80}")
            self.records[part] = records

    def _find_labels(self) -> Path:
        for root in self.raw:
            if root.is_dir():
                for hit in sorted(root.rglob(LABELS)):
                    return hit.parent
        raise FileNotFoundError(f"Something-Something v2: no {LABELS} under {', '.join(map(str, self.raw))}; "
                                f"pass --annotations with the labels folder")

    def options(self) -> dict:
        return {"labels": str(self.labels_dir)}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        files: dict[str, RawFile] = {}
        for f in self._listing.files:
            stem = PurePosixPath(f.name).stem
            if not stem.isdigit():
                skipped.append(Skip(stem, f.display, "not named <numeric id>.webm"))
            elif stem in files:
                skipped.append(Skip(stem, f.display, f"duplicate video (using {files[stem].display})"))
            else:
                files[stem] = f
        label_of = {c: i for i, c in enumerate(self.classes)}
        excluded: dict[str, int] = {}
        refs, used = [], set()
        self._part_of: dict[str, str] = {}
        for part, records in self.records.items():
            for rec in records:
                vid = str(rec["id"])
                if part == "test":
                    excluded["test records (no label)"] = excluded.get("test records (no label)", 0) + 1
                    continue
                cls = template_class(rec["template"])
                if cls not in label_of:
                    skipped.append(Skip(vid, str(self.labels_dir / PART_FILES[part]),
                                        f"template {rec['template']!r} is not a class of {LABELS}"))
                    continue
                if vid not in files:
                    excluded["annotated, but no video in the download"] = \
                        excluded.get("annotated, but no video in the download", 0) + 1
                    continue
                used.add(vid)
                self._part_of[vid] = part
                refs.append(SampleRef(vid, label_of[cls], {"id": int(vid)}, files[vid], files[vid].display))
        for vid, f in files.items():
            if vid not in used and vid not in {str(r["id"]) for r in self.records.get("test", [])}:
                skipped.append(Skip(vid, f.display, "no label record for this video"))
        refs.sort(key=lambda r: int(r.name))
        return ScanResult(refs, skipped, excluded, files=len(self._listing.files),
                          fingerprint=fingerprint([files[v] for v in sorted(used)]))

    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        return video_clip(ref.locator)

    def encoded_video(self, ref: SampleRef) -> bytes:
        try:
            return read_raw(ref.locator)
        except OSError as exc:
            raise SampleError(f"unreadable file ({exc})") from None

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        part_of = {str(r["id"]): part for part, recs in self.records.items() for r in recs}
        parts = np.array([part_of.get(str(n)) for n in names])
        return {"official": {p: np.flatnonzero(parts == p).astype(np.int32) for p in ("train", "val")}}
