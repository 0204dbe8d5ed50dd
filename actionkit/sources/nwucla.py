"""Northwestern-UCLA Multiview Action 3D skeletons (Kinect v1, 20 joints, one body).

Two raw forms are accepted, in folders or zip archives, and give the same samples:

* the widely used per-clip JSON release (CTR-GCN's ``all_sqe/``):
  ``aXX_sYY_eZZ_vWW.json`` = ``{"file_name", "skeletons": [T][20][3], "label": 1..10}``;
* the original download: ``multiview_action/view_{1,2,3}/aXX_sYY_eZZ/`` with one
  ``frame_<n>_tc_<timestamp>_skeletons.txt`` per frame (a header line, then rows
  ``x,y,z,confidence``; a file may hold several skeletons, the last 20 rows are the one
  kept). Frames are ordered by their number (not zero-padded, so compared as integers);
  a frame without a skeleton file, or whose file holds no joint rows, is absent.

Sample names are ``aXX_sYY_eZZ_vWW`` in both forms. When a clip is present in both, the
JSON file is used and the frame files are reported as a duplicate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from actionkit.layouts import get_layout
from actionkit.reports import Skip
from actionkit.sources.base import SampleError, SampleRef, ScanResult, SkeletonSource
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files, read_raw

#: The dataset's action numbers, in label order (a07 and a10 do not exist).
ACTIONS = (1, 2, 3, 4, 5, 6, 8, 9, 11, 12)

NWUCLA_CLASSES: tuple[str, ...] = (
    "pick up with one hand", "pick up with two hands", "drop trash", "walk around", "sit down",
    "stand up", "donning", "doffing", "throw", "carry",
)

NUM_JOINTS = 20
VIEWS = (1, 2, 3)
XVIEW_TRAIN_VIEWS = (1, 2)

NAME_RE = re.compile(r"^a(\d{2})_s(\d{2})_e(\d{2})_v(\d{2})$")
CLIP_DIR_RE = re.compile(r"^a(\d{2})_s(\d{2})_e(\d{2})$")
VIEW_DIR_RE = re.compile(r"^view_(\d+)$")
FRAME_RE = re.compile(r"^frame_(\d+)_tc_(\d+)_skeletons\.txt$", re.IGNORECASE)


@dataclass(frozen=True)
class ClipFiles:
    """Where one clip lives.

    Attributes:
        form: ``"json"`` (one file) or ``"frames"`` (one skeleton file per frame).
        files: The file(s), frames in order.
    """

    form: str
    files: tuple[RawFile, ...]


def read_json_clip(data: bytes, name: str, label: int) -> np.ndarray:
    """Joints float32 ``[T, 20, 3]`` of one JSON clip.

    Args:
        data: The file's bytes.
        name: The sample name the file should describe.
        label: The 0-based label implied by the name.

    Raises:
        SampleError: unreadable JSON, a missing field, a ``label`` or ``file_name`` that
            disagrees with the name, zero frames, a wrong joint count, non-numeric or
            non-finite values.
    """
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SampleError(f"unreadable JSON ({exc})") from None
    if not isinstance(doc, dict) or "skeletons" not in doc:
        raise SampleError("JSON has no 'skeletons' field")
    if doc.get("label") != label + 1:
        raise SampleError(f"label {doc.get('label')!r} disagrees with the name {name} "
                          f"(action a{ACTIONS[label]:02d} is label {label + 1})")
    if "file_name" in doc and doc["file_name"] != name:
        raise SampleError(f"file_name {doc['file_name']!r} disagrees with the file's name {name}")
    frames = doc["skeletons"]
    if not isinstance(frames, list) or not frames:
        raise SampleError("zero frames ('skeletons' is empty)")
    for t, frame in enumerate(frames):
        if not isinstance(frame, list) or len(frame) != NUM_JOINTS:
            count = len(frame) if isinstance(frame, list) else "no"
            raise SampleError(f"frame {t}: {count} joints, expected {NUM_JOINTS}")
        for j, joint in enumerate(frame):
            if not isinstance(joint, list) or len(joint) != 3:
                raise SampleError(f"frame {t} joint {j}: expected 3 coordinates, got {joint!r}")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in joint):
                raise SampleError(f"frame {t} joint {j}: non-numeric value in {joint!r}")
    xyz = np.asarray(frames, dtype=np.float64)
    _check_finite(xyz, "frame")
    return xyz.astype(np.float32)


def read_frame_file(data: bytes, display: str) -> np.ndarray | None:
    """Joints float64 ``[20, 3]`` of one original ``_skeletons.txt`` file, or None.

    The first line is a header; the remaining non-blank lines are joint rows
    ``x,y,z[,confidence]``, 20 per skeleton; the last skeleton is returned.

    Returns:
        None when the file holds no joint row (the frame has no skeleton).

    Raises:
        SampleError: a row count that is not a multiple of 20, a row without 3 or 4
            values, non-numeric or non-finite values (the reason names file and line).
    """
    lines = data.decode("latin-1").splitlines()[1:]
    rows = [(number, line) for number, line in enumerate(lines, start=2) if line.strip()]
    if not rows:
        return None
    if len(rows) % NUM_JOINTS:
        raise SampleError(f"{display}: {len(rows)} joint rows, expected a multiple of {NUM_JOINTS}")
    xyz = np.empty((NUM_JOINTS, 3), dtype=np.float64)
    for j, (number, line) in enumerate(rows[-NUM_JOINTS:]):
        fields = [f for f in line.strip().rstrip(",").split(",")]
        if len(fields) not in (3, 4):
            raise SampleError(f"{display} line {number}: {len(fields)} values, expected x,y,z,confidence")
        try:
            xyz[j] = [float(f) for f in fields[:3]]
        except ValueError:
            raise SampleError(f"{display} line {number}: non-numeric value in {line.strip()!r}") from None
        if not np.isfinite(xyz[j]).all():
            raise SampleError(f"{display} line {number}: non-finite value")
    return xyz


def _check_finite(xyz: np.ndarray, unit: str) -> None:
    bad = ~np.isfinite(xyz).all(axis=(1, 2))
    if bad.any():
        raise SampleError(f"{unit} {int(np.flatnonzero(bad)[0])}: non-finite value")


class NWUCLASource(SkeletonSource):
    """NW-UCLA skeleton clips, 10 actions, cross-view protocol (train views 1+2, test 3).

    Args:
        raw: Folders and/or zip archives holding ``all_sqe/*.json`` or
            ``multiview_action/view_N/aXX_sYY_eZZ/*_skeletons.txt``.

    Raises:
        FileNotFoundError: a path does not exist, or neither form is found under it.
    """

    dataset = "nwucla"
    description = "Northwestern-UCLA Multiview Action 3D skeletons (10 actions, Kinect v1)"
    layout = get_layout("kinect_v1_20")
    max_bodies = 1
    classes = NWUCLA_CLASSES
    id_fields = ("view", "subject", "episode")

    def __init__(self, raw: Path | list[Path]):
        self.raw = [Path(p).expanduser() for p in ([raw] if isinstance(raw, (str, Path)) else raw)]
        try:
            self._listing = list_raw_files(self.raw, (".json", "_skeletons.txt"))
        except FileNotFoundError as exc:
            raise FileNotFoundError(self._not_found(f"{exc} does not exist")) from None
        if not any(NAME_RE.match(f.name[:-5]) or FRAME_RE.match(f.name) for f in self._listing.files):
            raise FileNotFoundError(self._not_found("no clip file found"))

    def _not_found(self, what: str) -> str:
        return (f"NW-UCLA: {what} (looked under {', '.join(map(str, self.raw))}, in folders and zip "
                f"archives, for aXX_sYY_eZZ_vWW.json files or multiview_action/view_N/aXX_sYY_eZZ/"
                f"frame_<n>_tc_<timestamp>_skeletons.txt files). Pass --raw with the all_sqe folder of "
                f"the JSON release, or the multiview_action folder (or zip) of the original download.")

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        clips: dict[str, ClipFiles] = {}
        frame_groups: dict[tuple[str, str, str], list[tuple[int, int, RawFile]]] = {}  # (name, archive, folder)
        for f in self._listing.files:
            if f.name.lower().endswith(".json"):
                if NAME_RE.match(f.name[:-5]):
                    self._add(clips, f.name[:-5], ClipFiles("json", (f,)), skipped)
                else:  # every raw file is accounted for: a stray copy is reported, not dropped
                    skipped.append(Skip(f.name[:-5], f.display, "name does not match aNN_sNN_eNN_vNN"))
                continue
            m = FRAME_RE.match(f.name)
            parts = PurePosixPath(f.path.replace("\\", "/")).parts
            clip_dir = CLIP_DIR_RE.match(parts[-2]) if len(parts) >= 3 else None
            view_dir = VIEW_DIR_RE.match(parts[-3]) if len(parts) >= 3 else None
            if not (m and clip_dir and view_dir):
                skipped.append(Skip(f.name, f.display, "skeleton file not named frame_<n>_tc_<timestamp>"
                                                       "_skeletons.txt inside view_N/aXX_sYY_eZZ/"))
                continue
            key = (f"{parts[-2]}_v{int(view_dir.group(1)):02d}", f.archive, "/".join(parts[:-1]))
            frame_groups.setdefault(key, []).append((int(m.group(1)), int(m.group(2)), f))
        for key in sorted(frame_groups):  # one group per clip folder: two copies are duplicates
            files = tuple(f for _, _, f in sorted(frame_groups[key], key=lambda x: (x[0], x[1], x[2])))
            self._add(clips, key[0], ClipFiles("frames", files), skipped)

        refs = []
        for name in sorted(clips):
            action, subject, episode, view = (int(g) for g in NAME_RE.match(name).groups())  # type: ignore[union-attr]
            clip = clips[name]
            display = clip.files[0].display if clip.form == "json" else str(PurePosixPath(clip.files[0].display).parent)
            if action not in ACTIONS:
                skipped.append(Skip(name, display, f"action a{action:02d} is not one of the 10 NW-UCLA actions"))
            elif view not in VIEWS:
                skipped.append(Skip(name, display, f"view {view} is not one of the 3 NW-UCLA views"))
            else:
                ids = {"view": view, "subject": subject, "episode": episode}
                refs.append(SampleRef(name, ACTIONS.index(action), ids, clip, display))
        used = [f for clip in clips.values() for f in clip.files]
        return ScanResult(refs, skipped, {}, files=len(self._listing.files), fingerprint=fingerprint(used))

    @staticmethod
    def _add(clips: dict[str, ClipFiles], name: str, clip: ClipFiles, skipped: list[Skip]) -> None:
        """Record a clip, or report it as a duplicate (a JSON file wins over frame files)."""
        old = clips.get(name)
        if old is not None and not (old.form == "frames" and clip.form == "json"):
            skipped.append(Skip(name, clip.files[0].display, f"duplicate clip (using {old.files[0].display})"))
            return
        if old is not None:
            skipped.append(Skip(name, old.files[0].display, f"duplicate clip (using {clip.files[0].display})"))
        clips[name] = clip

    def read(self, ref: SampleRef) -> np.ndarray:
        clip: ClipFiles = ref.locator
        try:
            if clip.form == "json":
                xyz = read_json_clip(read_raw(clip.files[0]), ref.name, ref.label)
            else:
                frames = [read_frame_file(read_raw(f), f.name) for f in clip.files]
                present = [x for x in frames if x is not None]
                if not present:
                    raise SampleError(f"zero frames: none of the {len(frames)} skeleton files holds a joint row")
                xyz = np.stack(present).astype(np.float32)
        except OSError as exc:
            raise SampleError(f"unreadable file ({exc})") from None
        return xyz[:, None]

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        view = np.asarray(ids["view"])
        return {"xview": {"train": np.flatnonzero(np.isin(view, XVIEW_TRAIN_VIEWS)).astype(np.int32),
                          "test": np.flatnonzero(~np.isin(view, XVIEW_TRAIN_VIEWS)).astype(np.int32)}}
