"""UCF-101 videos and the official three train/test splits.

Raw layout: ``UCF-101/<Class>/v_<Class>_gGG_cCC.avi`` (XviD 320x240 25 fps, 13,320 clips;
any folder depth, folders or zip archives) and the split folder ``ucfTrainTestlist/``
with ``classInd.txt`` (``1 ApplyEyeMakeup``, 1-based), ``trainlist0N.txt``
(``Class/v_Class_gGG_cCC.avi N``) and ``testlist0N.txt`` (the path only in the official
files; some copies append the class index: both are read).

Quirk: the folder and the lists say ``HandstandPushups`` while the files say
``v_HandStandPushups_...``, so names are matched case-insensitively. Samples are named by
the file stem (``v_ApplyEyeMakeup_g08_c01``); labels are 0-based in ``classInd`` order;
``group`` (GG, 1-25, the unit the splits are built from) and ``clip`` are ids.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import numpy as np

from actionkit.reports import Skip
from actionkit.sources.base import SampleRef, ScanResult, VideoClip, VideoSource
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files
from actionkit.sources.videofiles import video_clip

VIDEO_RE = re.compile(r"^v_([A-Za-z]+)_g(\d+)_c(\d+)\.avi$", re.IGNORECASE)
SPLITS = (1, 2, 3)


def read_class_index(path: Path) -> tuple[str, ...]:
    """Class names in label order from ``classInd.txt``.

    Raises:
        ValueError: a malformed line or indices that are not 1..N in order (names the file and line).
    """
    names: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[0].isdigit():
            raise ValueError(f"{path} line {number}: expected '<index> <ClassName>', got {line!r}")
        if int(fields[0]) != len(names) + 1:
            raise ValueError(f"{path} line {number}: class index {fields[0]}, expected {len(names) + 1}")
        names.append(fields[1])
    if not names:
        raise ValueError(f"{path}: no classes")
    return tuple(names)


def read_split_list(path: Path, classes: tuple[str, ...]) -> list[str]:
    """Lower-case sample names listed in a ``trainlist0N.txt`` / ``testlist0N.txt``.

    A trailing class index, when present, must agree with the class in the path.

    Raises:
        ValueError: a malformed line or a disagreeing index (names the file and line).
    """
    lower = [c.lower() for c in classes]
    out = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        stem = PurePosixPath(fields[0].replace("\\", "/")).name
        m = VIDEO_RE.match(stem)
        if not m or len(fields) > 2:
            raise ValueError(f"{path} line {number}: expected 'Class/v_Class_gGG_cCC.avi [index]', got {line!r}")
        if len(fields) == 2:
            if not fields[1].isdigit() or not 1 <= int(fields[1]) <= len(classes):
                raise ValueError(f"{path} line {number}: class index {fields[1]!r} outside 1..{len(classes)}")
            if m.group(1).lower() != lower[int(fields[1]) - 1]:
                raise ValueError(f"{path} line {number}: index {fields[1]} is {classes[int(fields[1]) - 1]}, "
                                 f"the file is of {m.group(1)}")
        out.append(stem[:-4].lower())
    return out


class UCF101Source(VideoSource):
    """UCF-101, 101 classes, splits 1-3 (``split1/train``, ``split1/test``, ...).

    Args:
        raw: Folders and/or zip archives holding the ``.avi`` files.
        annotations: The ``ucfTrainTestlist`` folder; default: searched for under ``raw``.

    Raises:
        FileNotFoundError: no video, or no ``classInd.txt`` (the message says where it looked).
        ValueError: a malformed class index or split list.
    """

    dataset = "ucf101"
    description = "UCF-101 (101 actions, YouTube videos, 320x240 25 fps)"
    id_fields = ("group", "clip")
    modalities = ("rgb",)

    def __init__(self, raw, annotations: Path | None = None):
        self.raw = [Path(p).expanduser() for p in (raw if isinstance(raw, (list, tuple)) else [raw])]
        self._listing = list_raw_files(self.raw, (".avi",))
        if not self._listing.files:
            raise FileNotFoundError(f"UCF-101: no .avi video under {', '.join(map(str, self.raw))} "
                                    f"(folders and zip archives searched)")
        folder = Path(annotations).expanduser() if annotations else self._find_annotations()
        if not (folder / "classInd.txt").exists():
            raise FileNotFoundError(f"UCF-101: no classInd.txt in {folder}; pass --annotations with the "
                                    f"ucfTrainTestlist folder")
        self.annotations = folder
        self.classes = read_class_index(folder / "classInd.txt")
        self.warnings: list[str] = []
        self._lists: dict[tuple[int, str], list[str]] = {}
        for split in SPLITS:
            for part in ("train", "test"):
                path = folder / f"{part}list{split:02d}.txt"
                if path.exists():
                    self._lists[(split, part)] = read_split_list(path, self.classes)
                else:
                    self.warnings.append(f"{path} not found: split {split} {part} not stored")

    def _find_annotations(self) -> Path:
        for root in self.raw:
            if root.is_dir():
                for hit in sorted(root.rglob("classInd.txt")):
                    return hit.parent
        raise FileNotFoundError(f"UCF-101: no classInd.txt under {', '.join(map(str, self.raw))}; pass "
                                f"--annotations with the ucfTrainTestlist folder (classInd.txt, trainlist0N.txt, "
                                f"testlist0N.txt)")

    def options(self) -> dict:
        return {"annotations": str(self.annotations)}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        label_of = {c.lower(): i for i, c in enumerate(self.classes)}
        found: dict[str, RawFile] = {}
        for f in self._listing.files:
            m = VIDEO_RE.match(f.name)
            if not m:
                skipped.append(Skip(f.name, f.display, "not named v_<Class>_gGG_cCC.avi"))
                continue
            if m.group(1).lower() not in label_of:
                skipped.append(Skip(f.name[:-4], f.display,
                                    f"class {m.group(1)} is not in {self.annotations}/classInd.txt"))
                continue
            key = f.name[:-4].lower()
            if key in found:
                skipped.append(Skip(f.name[:-4], f.display, f"duplicate video (using {found[key].display})"))
                continue
            found[key] = f
        refs = []
        for key in sorted(found):
            f = found[key]
            m = VIDEO_RE.match(f.name)
            refs.append(SampleRef(f.name[:-4], label_of[m.group(1).lower()],  # type: ignore[union-attr]
                                  {"group": int(m.group(2)), "clip": int(m.group(3))}, f, f.display))
        listed = {name for names in self._lists.values() for name in names}
        absent = sorted(listed - set(found))
        if absent:
            self.warnings.append(f"{len(absent)} videos named in the split lists are not in the download "
                                 f"(first: {absent[0]})")
        unlisted = len(set(found) - listed) if self._lists else 0
        if unlisted:
            self.warnings.append(f"{unlisted} videos are in no split list")
        return ScanResult(refs, skipped, {}, files=len(self._listing.files),
                          fingerprint=fingerprint(list(found.values())))

    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        return video_clip(ref.locator)

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        position = {str(n).lower(): i for i, n in enumerate(names)}
        out: dict[str, dict[str, np.ndarray]] = {}
        for (split, part), listed in sorted(self._lists.items()):
            idx = sorted(position[n] for n in listed if n in position)
            out.setdefault(f"split{split}", {})[part] = np.asarray(idx, dtype=np.int32)
        return out
