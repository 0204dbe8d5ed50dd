"""NTU RGB+D 60 and 120 skeletons (``.skeleton`` text files, Kinect v2, 25 joints).

The raw download is read as users have it: ``nturgbd_skeletons_s001_to_s017.zip`` and
``..._s018_to_s032.zip``, the folders they unpack to, or a folder holding either.
Samples on the official missing-skeleton lists are left out and counted (the lists ship
with actionkit; ``missing_list`` overrides them). Splits follow the datasets' papers:
NTU-60 cross-subject and cross-view, NTU-120 cross-subject and cross-setup.
"""

from __future__ import annotations

import re
import warnings
from importlib import resources
from pathlib import Path

import numpy as np

from actionkit.kernels.bodies import BODY_MODES, select_bodies_with_notes
from actionkit.kernels.skeleton_text import SkeletonFormatError, parse_ntu_skeleton
from actionkit.layouts import NTU25
from actionkit.reports import Skip
from actionkit.sources.base import SampleError, SampleNote, SampleRef, ScanResult, SkeletonSource
from actionkit.sources.ntu_classes import NTU60_CLASSES, NTU120_CLASSES
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files, read_raw

NAME_RE = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$")

#: Cross-subject training performers (NTU-60; NTU-120 adds ``XSUB120_EXTRA``).
XSUB60_TRAIN = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38)
XSUB120_EXTRA = (45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85,
                 86, 89, 91, 92, 93, 94, 95, 97, 98, 100, 103)
XVIEW_TRAIN_CAMERAS = (2, 3)

MISSING_LIST_RESOURCE = "ntu120_missing_skeletons.txt"

VARIANTS = {
    # dataset id: (last setup, classes, description)
    "ntu60": (17, NTU60_CLASSES, "NTU RGB+D 60 skeletons (setups S001-S017)"),
    "ntu120": (32, NTU120_CLASSES, "NTU RGB+D 120 skeletons (setups S001-S032)"),
}


def parse_sample_name(name: str) -> dict[str, int] | None:
    """``SsssCcccPpppRrrrAaaa`` -> ``{"setup", "camera", "performer", "replication", "action"}``."""
    m = NAME_RE.match(name)
    if not m:
        return None
    setup, camera, performer, replication, action = (int(g) for g in m.groups())
    return {"setup": setup, "camera": camera, "performer": performer, "replication": replication, "action": action}


def read_missing_list(path: Path | None = None) -> frozenset[str]:
    """Sample ids of an official missing-skeleton list (header lines are ignored).

    Args:
        path: A list file; default: the NTU-120 list shipped with actionkit (a superset
            of the NTU-60 one).
    """
    if path is None:
        text = resources.files("actionkit.sources").joinpath("resources", MISSING_LIST_RESOURCE).read_text()
    else:
        text = Path(path).read_text(errors="replace")
    return frozenset(line.strip() for line in text.splitlines() if NAME_RE.match(line.strip()))


def ntu_splits(dataset: str, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """The standard NTU protocols from per-sample ids.

    Args:
        dataset: ``"ntu60"`` or ``"ntu120"``.
        ids: ``performer``, ``camera`` and ``setup``, each ``[N]``.

    Returns:
        NTU-60: ``xsub`` and ``xview``; NTU-120: ``xsub`` and ``xset``; each with
        ``train``/``test`` sorted int32 indices.
    """

    def parts(train_mask: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "train": np.flatnonzero(train_mask).astype(np.int32),
            "test": np.flatnonzero(~train_mask).astype(np.int32),
        }

    performers = XSUB60_TRAIN + (XSUB120_EXTRA if dataset == "ntu120" else ())
    out = {"xsub": parts(np.isin(ids["performer"], performers))}
    if dataset == "ntu60":
        out["xview"] = parts(np.isin(ids["camera"], XVIEW_TRAIN_CAMERAS))
    else:
        out["xset"] = parts(ids["setup"] % 2 == 0)
    return out


class NTUSource(SkeletonSource):
    """NTU RGB+D 60 or 120 skeletons.

    Args:
        raw: Zip archives and/or folders of the raw download.
        dataset: ``"ntu60"`` (setups S001-S017 only, even when later setups are present)
            or ``"ntu120"`` (S001-S032).
        bodies: Body selection mode (``tracked``, ``energy`` or ``first``; see
            :mod:`actionkit.kernels.bodies`).
        missing_list: An official missing-skeleton list to use instead of the shipped one.
        store_id: The dataset id written into the store (default: ``dataset``); the demo
            uses it to mark its procedural NTU-format data.
    """

    layout = NTU25
    max_bodies = 2
    id_fields = ("setup", "camera", "performer", "replication")

    def __init__(self, raw: list[Path], dataset: str = "ntu60", bodies: str = "tracked",
                 missing_list: Path | None = None, store_id: str | None = None):
        if dataset not in VARIANTS:
            raise ValueError(f"unknown NTU variant {dataset!r}; valid: {list(VARIANTS)}")
        if bodies not in BODY_MODES:
            raise ValueError(f"unknown body mode {bodies!r}; valid: {list(BODY_MODES)}")
        self.variant = dataset
        self.dataset = store_id or dataset
        self.last_setup, self.classes, self.description = VARIANTS[dataset]
        self.raw = [Path(p).expanduser() for p in raw]
        self.bodies = bodies
        self.missing_list_path = missing_list
        self.missing = read_missing_list(missing_list)

    def options(self) -> dict[str, str]:
        return {
            "bodies": self.bodies,
            "missing_list": (str(self.missing_list_path) if self.missing_list_path
                             else "shipped (NTU-120 official, 535 ids)"),
        }

    def scan(self) -> ScanResult:
        listing = list_raw_files(self.raw, (".skeleton",))
        if not listing.files and not listing.problems:
            raise FileNotFoundError(
                f"No NTU .skeleton files found under {', '.join(map(str, self.raw))}. Pass --raw with "
                f"nturgbd_skeletons_s001_to_s017.zip (and, for ntu120, nturgbd_skeletons_s018_to_s032.zip), "
                f"the folders they unpack to, or a folder holding them."
            )
        refs: dict[str, SampleRef] = {}
        skipped = list(listing.problems)
        excluded: dict[str, int] = {}
        used: list[RawFile] = []
        for f in listing.files:
            name = f.name[: -len(".skeleton")]
            ids = parse_sample_name(name)
            if ids is None:
                skipped.append(Skip(name, f.display, "file name is not of the form SsssCcccPpppRrrrAaaa.skeleton"))
                continue
            if ids["setup"] > self.last_setup:
                key = f"setup after S{self.last_setup:03d} (not part of {self.variant})"
                excluded[key] = excluded.get(key, 0) + 1
                continue
            if not 1 <= ids["action"] <= len(self.classes):
                skipped.append(Skip(name, f.display,
                                    f"action A{ids['action']:03d} outside A001-A{len(self.classes):03d}"))
                continue
            if name in self.missing:
                key = "official missing-skeleton list"
                excluded[key] = excluded.get(key, 0) + 1
                continue
            if name in refs:
                skipped.append(Skip(name, f.display, f"duplicate sample name (also at {refs[name].display})"))
                continue
            action = ids.pop("action")
            refs[name] = SampleRef(name, action - 1, ids, f, f.display)
            used.append(f)
        ordered = [refs[k] for k in sorted(refs)]
        return ScanResult(ordered, skipped, excluded, files=len(listing.files), fingerprint=fingerprint(used))

    def read(self, ref: SampleRef) -> np.ndarray:
        try:
            data = read_raw(ref.locator)
        except OSError as exc:
            raise SampleError(f"unreadable file ({exc})") from exc
        try:
            parsed = parse_ntu_skeleton(data)
        except SkeletonFormatError as exc:
            raise SampleError(str(exc)) from exc
        selection = select_bodies_with_notes(parsed, self.bodies, self.max_bodies)
        for note in selection.notes:
            warnings.warn(SampleNote(note), stacklevel=2)
        if len(selection.joints) == 0:
            raise SampleError("no frame with a body")
        return selection.joints

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        return ntu_splits(self.variant, ids)
