"""Northwestern-UCLA Multiview Action 3D videos: RGB and depth frames (DMCL's NW-UCLA).

Raw layout (the original download, a folder or zip archive)::

    multiview_action/view_{1,2,3}/aXX_sYY_eZZ/frame_<n>_tc_<timestamp>_rgb.jpg    640x480
                                              frame_<n>_tc_<timestamp>_depth.png  uint16 millimetres

Frame numbers are not zero-padded (ordered as integers) and each modality has its own
timestamps. RGB and depth can have different frames: they are aligned on the frame
number (``align="frame-number"``, the default: only frames with both images are kept,
and the sample carries a note saying how many were dropped), or, as the DMCL reference
code does, each list is cut to the shorter one (``align="truncate"``). Sample names are
``aXX_sYY_eZZ_vWW``, as in the skeleton store, so the two can be joined by name.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import numpy as np

from actionkit.reports import Skip
from actionkit.sources.base import SampleRef, ScanResult, VideoClip, VideoSource
from actionkit.sources.framefolders import ALIGN_MODES, align, iter_frames
from actionkit.sources.nwucla import ACTIONS, CLIP_DIR_RE, NWUCLA_CLASSES, VIEW_DIR_RE, VIEWS, XVIEW_TRAIN_VIEWS
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files

FRAME_FILE_RE = re.compile(r"^frame_(\d+)_tc_(\d+)_(rgb\.jpg|depth\.png)$", re.IGNORECASE)
MODALITY_OF_SUFFIX = {"rgb.jpg": "rgb", "depth.png": "depth"}

#: The frame files carry capture timestamps in an undocumented unit, not a frame rate:
#: the store records the rate as unknown (0).
NWUCLA_FPS = 0.0


class NWUCLAVideoSource(VideoSource):
    """NW-UCLA RGB and depth frame folders, 10 actions, cross-view (train views 1+2, test 3).

    Args:
        raw: Folders and/or zip archives holding ``view_N/aXX_sYY_eZZ/frame_*`` files.
        align: ``"frame-number"`` or ``"truncate"`` (see the module docstring).

    Raises:
        FileNotFoundError: a path does not exist, or no frame file is found under it.
    """

    dataset = "nwucla-rgbd"
    description = "Northwestern-UCLA Multiview Action 3D RGB and depth videos (10 actions)"
    classes = NWUCLA_CLASSES
    id_fields = ("view", "subject", "episode")
    modalities = ("rgb", "depth")

    def __init__(self, raw, align: str = "frame-number"):
        if align not in ALIGN_MODES:
            raise ValueError(f"align {align!r} is not one of {ALIGN_MODES}")
        self.raw = [raw] if not isinstance(raw, (list, tuple)) else list(raw)
        self.align = align
        try:
            self._listing = list_raw_files(self.raw, ("_rgb.jpg", "_depth.png"))
        except FileNotFoundError as exc:
            raise FileNotFoundError(self._not_found(f"{exc} does not exist")) from None
        if not any(FRAME_FILE_RE.match(f.name) for f in self._listing.files):
            raise FileNotFoundError(self._not_found("no frame file found"))

    def _not_found(self, what: str) -> str:
        return (f"NW-UCLA videos: {what} (looked under {', '.join(map(str, self.raw))}, in folders and zip "
                f"archives, for multiview_action/view_N/aXX_sYY_eZZ/frame_<n>_tc_<timestamp>_rgb.jpg and "
                f"_depth.png files). Pass --raw with the multiview_action folder (or zip) of the original download.")

    def options(self) -> dict:
        return {"align": self.align}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        clips: dict[str, dict[str, dict[int, RawFile]]] = {}
        folders: dict[str, str] = {}
        for f in self._listing.files:
            m = FRAME_FILE_RE.match(f.name)
            parts = PurePosixPath(f.path.replace("\\", "/")).parts
            clip_dir = CLIP_DIR_RE.match(parts[-2]) if len(parts) >= 3 else None
            view_dir = VIEW_DIR_RE.match(parts[-3]) if len(parts) >= 3 else None
            if not (m and clip_dir and view_dir):
                skipped.append(Skip(f.name, f.display, "frame file not named frame_<n>_tc_<timestamp>_rgb.jpg "
                                                       "or _depth.png inside view_N/aXX_sYY_eZZ/"))
                continue
            name = f"{parts[-2]}_v{int(view_dir.group(1)):02d}"
            folder = f"{f.archive}::{'/'.join(parts[:-1])}"
            if folders.setdefault(name, folder) != folder:
                skipped.append(Skip(name, f.display, f"duplicate clip folder (using {folders[name]})"))
                continue
            modality = MODALITY_OF_SUFFIX[m.group(3).lower()]
            frames = clips.setdefault(name, {"rgb": {}, "depth": {}})[modality]
            number = int(m.group(1))
            if number in frames:
                skipped.append(Skip(name, f.display, f"second {modality} file for frame {number} "
                                                     f"(using {frames[number].name})"))
                continue
            frames[number] = f
        refs = []
        for name in sorted(clips):
            action, subject, episode = (int(g) for g in CLIP_DIR_RE.match(name[:-4]).groups())  # type: ignore[union-attr]
            view = int(name[-2:])
            display = str(PurePosixPath(folders[name].split("::", 1)[1]))
            if action not in ACTIONS:
                skipped.append(Skip(name, display, f"action a{action:02d} is not one of the 10 NW-UCLA actions"))
            elif view not in VIEWS:
                skipped.append(Skip(name, display, f"view {view} is not one of the 3 NW-UCLA views"))
            else:
                locator = {mod: tuple(sorted(frames.items())) for mod, frames in clips[name].items()}
                refs.append(SampleRef(name, ACTIONS.index(action), {"view": view, "subject": subject,
                                                                     "episode": episode}, locator, display))
        used = [f for clip in clips.values() for frames in clip.values() for f in frames.values()]
        return ScanResult(refs, skipped, {}, files=len(self._listing.files), fingerprint=fingerprint(used))

    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        lists = align({m: ref.locator[m] for m in modalities}, self.align, ref.display)
        return VideoClip(NWUCLA_FPS, {mod: iter_frames(frames, mod) for mod, frames in lists.items()})

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        view = np.asarray(ids["view"])
        return {"xview": {"train": np.flatnonzero(np.isin(view, XVIEW_TRAIN_VIEWS)).astype(np.int32),
                          "test": np.flatnonzero(~np.isin(view, XVIEW_TRAIN_VIEWS)).astype(np.int32)}}
