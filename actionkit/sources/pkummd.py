"""PKU-MMD phase 1 and phase 2 skeletons: action clips cut from long Kinect v2 sequences.

A raw copy holds one skeleton file per long sequence (one line per frame, 150 numbers =
2 bodies x 25 joints x xyz, an absent body written as 75 zeros), one label file per
sequence (one action instance a line: ``action_id,start_frame,end_frame,confidence``)
and the split files. Folder names vary between copies, so files are recognised by their
content (skeleton and label files) and by their names (split files), in folders or zip
archives. Skeleton and label files share the sequence stem: ``0002-L`` (phase 1),
``A10N08-L`` (phase 2).

Every label line is one sample, named ``<sequence>_<k:03d>`` (``k`` = 0-based index of
the line among the label file's non-blank lines). Frame base: the label files' frame
numbers are read as 1-based inclusive by default (``seq[start-1:end]``); the reference
code's ``seq[start:end]`` is ``label_frame_base=0``. Either way the choice is recorded in
the store. ``start_frame`` and ``end_frame`` ids are 0-based, end exclusive, after the
frame base is applied and before any clipping: a clip whose label runs past the end of
its sequence is cut at the last frame (its stored frame count is then smaller than
``end_frame - start_frame``) and a :class:`ClipTruncatedWarning` names it.
"""

from __future__ import annotations

import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actionkit.kernels.bodies import BODY_MODES, select_bodies
from actionkit.layouts import get_layout
from actionkit.reports import Skip
from actionkit.sources.base import SampleError, SampleNote, SampleRef, ScanResult, SkeletonSource
from actionkit.sources.pkummd_text import VALUES_PER_LINE as VALUES_PER_LINE  # importable from here as before
from actionkit.sources.pkummd_text import (
    classify,
    clip_bodies,
    parse_label_text,
    parse_sequence,
    parse_split_text,
)
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files, read_raw

#: The 51 PKU-MMD actions in id order (action_id 1 -> index 0). The official list is the
#: dataset's ``Actions.xlsx`` (not available here). Confirmed against PKU-MMD loaders in
#: public code: kschlegel/DatasetLoader ``datasetloader/pkummd.py`` (commit 758f56af),
#: whose interaction list is ids 12 14 16 18 21 24 26 27, and three more copies found by
#: content search (a ``PKU-MMD-CS`` label table, an NTU-60 -> PKU transfer feeder's
#: ``PKU_classes``, a loader's ``PKUMMD_INTERACT_LABELS``), all agreeing on names and order.
PKUMMD_CLASSES: tuple[str, ...] = (
    "bow", "brushing hair", "brushing teeth", "check time (from watch)", "cheer up",
    "clapping", "cross hands in front (say stop)", "drink water", "drop", "eat meal/snack",
    "falling", "giving something to other person", "hand waving", "handshaking",
    "hopping (one foot jumping)", "hugging other person", "jump up", "kicking other person",
    "kicking something", "make a phone call/answer phone", "pat on back of other person",
    "pickup", "playing with phone/tablet", "point finger at the other person",
    "pointing to something with finger", "punching/slapping other person",
    "pushing other person", "put on a hat/cap", "put something inside pocket", "reading",
    "rub two hands together", "salute", "sitting down", "standing up", "take off a hat/cap",
    "take off glasses", "take off jacket", "take out something from pocket",
    "taking a selfie", "tear up paper", "throw", "touch back (backache)",
    "touch chest (stomachache/heart pain)", "touch head (headache)", "touch neck (neckache)",
    "typing on a keyboard", "use a fan (with hand or paper)/feeling warm", "wear jacket",
    "wear on glasses", "wipe face", "writing",
)

VIEWS = {"L": 1, "M": 2, "R": 3}
HEAD_BYTES = 16384  # enough for several skeleton lines (~1,500 bytes each)


class ClipTruncatedWarning(SampleNote):
    """A label's end frame lies beyond its sequence; the clip was cut at the sequence end."""


@dataclass(frozen=True)
class ClipLocator:
    """Where one clip lives: its sequence file and 0-based frame range ``[start, end)``."""

    file: RawFile
    sequence: str
    start: int
    end: int


# ----------------------------------------------------------------------------- files


def _read_head(file: RawFile, zips: dict[str, zipfile.ZipFile]) -> bytes:
    """The first :data:`HEAD_BYTES` of a file; ``zips`` keeps archives open for one scan."""
    if not file.archive:
        with open(file.path, "rb") as fh:
            return fh.read(HEAD_BYTES)
    if file.archive not in zips:
        zips[file.archive] = zipfile.ZipFile(file.archive)
    with zips[file.archive].open(file.path) as fh:
        return fh.read(HEAD_BYTES)


def _split_key(file: RawFile) -> str:
    """A file name as compared with split-file names (``cross-view.txt`` -> ``cross_view.txt``)."""
    return file.name.lower().replace("-", "_")


# ------------------------------------------------------------------- per-process cache

_sequence_cache: dict[str, object] = {}


def _cached_sequence(file: RawFile) -> np.ndarray:
    """Parse a sequence file once per process (a process's clips come in sequence order)."""
    key = repr((file.archive, file.path))
    if _sequence_cache.get("key") != key:
        _sequence_cache.clear()
        try:
            _sequence_cache["value"] = parse_sequence(read_raw(file))
        except OSError as exc:
            _sequence_cache["value"] = SampleError(f"unreadable skeleton file ({exc})")
        except SampleError as exc:
            _sequence_cache["value"] = exc
        _sequence_cache["key"] = key
    value = _sequence_cache["value"]
    if isinstance(value, SampleError):
        raise SampleError(value.reason)
    return value  # type: ignore[return-value]


# ----------------------------------------------------------------------------- sources


class _PKUMMDSource(SkeletonSource):
    """PKU-MMD clips of one phase; subclasses set the phase's names.

    Args:
        raw: Folders and/or zip archives holding the skeleton, label and split files.
        label_frame_base: 1 (default): label frames are 1-based inclusive, the clip is
            ``seq[start-1:end]``; 0: the reference code's ``seq[start:end]``.
        bodies: Body selection mode, as for NTU (see :mod:`actionkit.kernels.bodies`).

    Attributes:
        warnings: Problems that do not drop samples (missing or conflicting split files),
            filled by :meth:`scan`.

    Raises:
        FileNotFoundError: a path does not exist, or no file named like a sequence of
            this phase is found.
        ValueError: an unknown option value.
    """

    layout = get_layout("ntu25")
    max_bodies = 2
    classes = PKUMMD_CLASSES
    id_fields = ("view", "confidence", "start_frame", "end_frame")
    phase: int
    sequence_re: re.Pattern[str]
    example: str
    split_names: dict[str, tuple[str, ...]]  # protocol -> accepted names, preferred first

    def __init__(self, raw: Path | list[Path], label_frame_base: int = 1, bodies: str = "tracked"):
        if label_frame_base not in (0, 1):
            raise ValueError(f"label_frame_base must be 0 or 1, not {label_frame_base!r}")
        if bodies not in BODY_MODES:
            raise ValueError(f"unknown body mode {bodies!r}; valid: {list(BODY_MODES)}")
        self.raw = [Path(p).expanduser() for p in ([raw] if isinstance(raw, (str, Path)) else raw)]
        self.label_frame_base = label_frame_base
        self.bodies = bodies
        self.warnings: list[str] = []
        self._split_sets: dict[str, dict[str, set[str]]] | None = None
        try:
            self._listing = list_raw_files(self.raw, (".txt",))
        except FileNotFoundError as exc:
            raise FileNotFoundError(self._not_found(f"{exc} does not exist")) from None
        if not any(self.sequence_re.match(f.name[:-4]) for f in self._listing.files):
            raise FileNotFoundError(self._not_found("no file is named like a sequence of this phase"))

    def _not_found(self, what: str) -> str:
        return (f"PKU-MMD phase {self.phase}: {what} (looked under {', '.join(map(str, self.raw))}, in "
                f"folders and zip archives, for skeleton and label files named like {self.example}.txt). "
                f"Pass --raw with the folder or zip holding the skeleton files (150 numbers a line, e.g. "
                f"PKU_Skeleton_Renew/), the label files (action_id,start_frame,end_frame,confidence lines, "
                f"e.g. Train_Label_PKU_final/) and the split files.")

    def _split_names(self) -> set[str]:
        return {n for accepted in self.split_names.values() for n in accepted}

    def _split_files(self) -> list[RawFile]:
        names = self._split_names()
        return [f for f in self._listing.files if _split_key(f) in names]

    def options(self) -> dict[str, object]:
        return {"label_frame_base": self.label_frame_base, "bodies": self.bodies}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        found: dict[str, dict[str, RawFile]] = {"skeleton": {}, "label": {}}
        split_files = self._split_files()
        unrecognised: set[str] = set()
        zips: dict[str, zipfile.ZipFile] = {}
        try:
            for f in self._listing.files:
                stem = f.name[:-4]
                if not self.sequence_re.match(stem):
                    if f not in split_files:  # every raw file is accounted for
                        splits = ", ".join(sorted(self._split_names()))
                        skipped.append(Skip(stem, f.display, f"name does not match a sequence ({self.example}.txt) "
                                                             f"or a split file ({splits})"))
                    continue
                try:
                    kind = classify(_read_head(f, zips), complete=f.size <= HEAD_BYTES)
                except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    skipped.append(Skip(stem, f.display, f"unreadable file ({exc})"))
                    continue
                if kind is None:
                    unrecognised.add(stem)
                    skipped.append(Skip(stem, f.display, "neither a skeleton file (150 numbers a line) nor a "
                                                         "label file (4 comma-separated integers a line)"))
                elif stem in found[kind]:
                    skipped.append(Skip(stem, f.display, f"duplicate {kind} file (using {found[kind][stem].display})"))
                else:
                    found[kind][stem] = f
        finally:
            for zf in zips.values():
                zf.close()
        skeletons, labels = found["skeleton"], found["label"]
        if not skeletons or not labels:
            what = "no skeleton file" if not skeletons else "no label file"
            raise FileNotFoundError(self._not_found(f"{what} recognised by its content"))

        refs: list[SampleRef] = []
        for seq in sorted(labels):
            missing = f"no skeleton file for sequence {seq}" + (
                " (a file of that name is neither a skeleton nor a label file)" if seq in unrecognised else "")
            refs.extend(self._clips(seq, labels[seq], skeletons.get(seq), missing, skipped))
        for seq in sorted(set(skeletons) - set(labels)):
            skipped.append(Skip(seq, skeletons[seq].display, "skeleton file without a label file (no clips)"))
        refs.sort(key=lambda r: r.name)

        self._split_sets = self._read_splits(split_files)
        excluded: dict[str, int] = {}
        for protocol, parts in self._split_sets.items():
            for ref in refs:
                seq = ref.locator.sequence
                where = [part for part, members in parts.items() if seq in members]
                if len(where) != 1:
                    key = f"{protocol}: sequence listed in {'neither' if not where else 'both'} of train and test"
                    excluded[key] = excluded.get(key, 0) + 1
        used = list(skeletons.values()) + list(labels.values()) + split_files
        return ScanResult(refs, skipped, excluded, files=len(self._listing.files), fingerprint=fingerprint(used))

    def _clips(self, seq: str, label: RawFile, skeleton: RawFile | None, missing: str,
               skipped: list[Skip]) -> list[SampleRef]:
        """The samples of one label file; malformed lines go to ``skipped``."""
        try:
            entries = parse_label_text(read_raw(label).decode("utf-8-sig", errors="replace"))
        except OSError as exc:
            skipped.append(Skip(seq, label.display, f"unreadable label file ({exc})"))
            return []
        refs = []
        for k, (number, entry) in enumerate(entries):
            name = f"{seq}_{k:03d}"
            if isinstance(entry, str):
                skipped.append(Skip(name, label.display, entry))
                continue
            action, start, end, confidence = entry
            reason = None
            if skeleton is None:
                reason = missing
            elif not 1 <= action <= len(PKUMMD_CLASSES):
                reason = f"line {number}: action id {action} outside 1-{len(PKUMMD_CLASSES)}"
            elif start < self.label_frame_base:
                reason = f"line {number}: start frame {start} below the frame base {self.label_frame_base}"
            elif end < start + (1 - self.label_frame_base):
                reason = f"line {number}: frames {start}-{end} are an empty range (frame base {self.label_frame_base})"
            if reason:
                skipped.append(Skip(name, label.display, reason))
                continue
            first = start - self.label_frame_base
            ids = {"view": VIEWS[seq[-1]], "confidence": confidence, "start_frame": first, "end_frame": end}
            refs.append(SampleRef(name, action - 1, ids, ClipLocator(skeleton, seq, first, end), skeleton.display))
        return refs

    def _read_splits(self, files: list[RawFile]) -> dict[str, dict[str, set[str]]]:
        """Read the split files of this phase; problems go to :attr:`warnings`."""
        self.warnings = []
        out: dict[str, dict[str, set[str]]] = {}
        for protocol, names in self.split_names.items():
            candidates = []
            for f in files:
                name = _split_key(f)
                if name not in names:
                    continue
                try:
                    parts = parse_split_text(read_raw(f).decode("utf-8-sig", errors="replace"))
                except (OSError, ValueError) as exc:
                    self.warnings.append(f"{f.display}: unusable split file ({exc})")
                    continue
                if any(self.sequence_re.match(s) for ids in parts.values() for s in ids):
                    candidates.append((names.index(name), f.display, parts))
            if not candidates:
                self.warnings.append(f"no {protocol} split file found (looked for {' or '.join(names)}): "
                                     f"the store has no {protocol} split")
                continue
            candidates.sort(key=lambda c: (c[0], c[1]))
            out[protocol] = candidates[0][2]
            for _, display, parts in candidates[1:]:
                if parts != out[protocol]:
                    self.warnings.append(f"{protocol}: {display} differs from {candidates[0][1]}; using the latter")
        return out

    def read(self, ref: SampleRef) -> np.ndarray:
        loc: ClipLocator = ref.locator
        sequence = _cached_sequence(loc.file)
        frames = sequence.shape[0]
        if loc.start >= frames:
            raise SampleError(f"clip frames {loc.start}-{loc.end} start after the sequence's last frame "
                              f"({frames} frames): empty clip")
        if loc.end > frames:
            warnings.warn(f"{ref.name}: label ends at frame {loc.end}, the sequence has {frames} frames; "
                          f"clip cut to {frames - loc.start} frames", ClipTruncatedWarning, stacklevel=2)
        joints = select_bodies(clip_bodies(sequence[loc.start:loc.end]), self.bodies, self.max_bodies)
        if len(joints) == 0:
            raise SampleError(f"no body in clip frames {loc.start}-{min(loc.end, frames)}")
        return joints

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        if self._split_sets is None:
            self._split_sets = self._read_splits(self._split_files())
        sequences = [str(n).rsplit("_", 1)[0] for n in names]
        out: dict[str, dict[str, np.ndarray]] = {}
        for protocol, parts in self._split_sets.items():
            train = np.array([s in parts["train"] and s not in parts["test"] for s in sequences], dtype=bool)
            test = np.array([s in parts["test"] and s not in parts["train"] for s in sequences], dtype=bool)
            out[protocol] = {"train": np.flatnonzero(train).astype(np.int32),
                             "test": np.flatnonzero(test).astype(np.int32)}
        return out


class PKUMMD1Source(_PKUMMDSource):
    """PKU-MMD phase 1: 1,076 sequences ``XXXX-V`` (V in L, M, R), 51 actions."""

    dataset = "pkummd1"
    description = "PKU-MMD phase 1 skeleton clips (51 actions, Kinect v2)"
    phase = 1
    sequence_re = re.compile(r"^\d{4}-[LMR]$")
    example = "0002-L"
    split_names = {"xsub": ("cross_subject.txt",), "xview": ("cross_view.txt",)}


class PKUMMD2Source(_PKUMMDSource):
    """PKU-MMD phase 2: sequences ``AxxNyy-V``, 41 actions inside the 51-id label space."""

    dataset = "pkummd2"
    description = "PKU-MMD phase 2 skeleton clips (41 of the 51 actions, Kinect v2)"
    phase = 2
    sequence_re = re.compile(r"^A\d{2}N\d{2}-[LMR]$")
    example = "A10N08-L"
    # The phase-1 names are accepted too, when such a file lists phase-2 sequences.
    split_names = {"xsub": ("cross_subject_v2.txt", "cross_subject.txt"),
                   "xview": ("cross_view_v2.txt", "cross_view.txt")}
