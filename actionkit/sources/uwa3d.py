"""UWA3D Multiview Activity II: RGB and depth of 30 activities from 4 views (DMCL's UWA3D II).

No official download layout is documented (FORMATS.md: third-party evidence only), so
the source accepts the layouts the public loaders use and refuses anything else with a
clear error:

* frame folders ``aXX_sYY_vVV_eEE/NNN.jpg`` (RGB) and ``aXX_sYY_vVV_eEE/NNN.png``
  (depth, uint16; possibly an ROI crop), in one tree or in separate RGB and depth trees;
* RGB videos ``aXX_sYY_vVV_eEE.avi`` (depth then from the PNG folders).

Frames are numbered (compared as integers); RGB and depth frame folders are paired by
frame number (``align="frame-number"``) or cut to the shorter (``"truncate"``); an RGB
video beside depth folders is cut to the shorter, with a note. The dataset's activity
names are not given in any file here, so classes are named ``activity 01`` .. ``activity 30``
after their ``aXX`` number. Cross-view protocols: train on two views, test on each of
the other two, e.g. ``xview12`` with parts ``train``, ``test3``, ``test4`` (12 settings in
6 protocols; the papers' headline trains on views 1 and 2).
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import PurePosixPath

import numpy as np

from actionkit.reports import Skip
from actionkit.sources.base import SampleRef, ScanResult, VideoClip, VideoSource
from actionkit.sources.framefolders import ALIGN_MODES, align, iter_frames
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files
from actionkit.sources.videofiles import video_fps, video_frames

CLIP_RE = re.compile(r"^a(\d{2})_s(\d{2})_v(\d{2})_e(\d{2})$")
FRAME_RE = re.compile(r"^(\d+)\.(jpg|png)$", re.IGNORECASE)
NUM_CLASSES = 30
VIEWS = (1, 2, 3, 4)


class UWA3DSource(VideoSource):
    """UWA3D II RGB (frames or videos) and depth frames, 30 activities, 4 views.

    Args:
        raw: Folders and/or zip archives in one of the layouts of the module docstring.
        align: ``"frame-number"`` or ``"truncate"`` for RGB and depth frame folders.

    Raises:
        FileNotFoundError: no file in a known layout (the message lists the layouts).
    """

    dataset = "uwa3d2-rgbd"
    description = "UWA3D Multiview Activity II RGB and depth (30 activities, 4 views)"
    classes = tuple(f"activity {a:02d}" for a in range(1, NUM_CLASSES + 1))
    id_fields = ("view", "subject", "episode")
    modalities = ("rgb", "depth")

    def __init__(self, raw, align: str = "frame-number"):
        if align not in ALIGN_MODES:
            raise ValueError(f"align {align!r} is not one of {ALIGN_MODES}")
        self.raw = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        self.align = align
        self._listing = list_raw_files(self.raw, (".jpg", ".png", ".avi"))
        known = [f for f in self._listing.files if self._classify(f) is not None]
        if not known:
            raise FileNotFoundError(
                f"UWA3D II: no file in a known layout under {', '.join(map(str, self.raw))}. Expected frame folders "
                f"aXX_sYY_vVV_eEE/NNN.jpg (RGB) and aXX_sYY_vVV_eEE/NNN.png (depth), or videos "
                f"aXX_sYY_vVV_eEE.avi")

    @staticmethod
    def _classify(f: RawFile) -> tuple[str, str, int] | None:
        """(clip name, modality or 'video', frame number) of a file in a known layout."""
        parts = PurePosixPath(f.path.replace("\\", "/")).parts
        if f.name.lower().endswith(".avi"):
            stem = f.name[:-4]
            return (stem, "video", 0) if CLIP_RE.match(stem) else None
        m = FRAME_RE.match(f.name)
        if m and len(parts) >= 2 and CLIP_RE.match(parts[-2]):
            return parts[-2], "rgb" if m.group(2).lower() == "jpg" else "depth", int(m.group(1))
        return None

    def options(self) -> dict:
        return {"align": self.align}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        clips: dict[str, dict[str, dict[int, RawFile]]] = {}
        videos: dict[str, RawFile] = {}
        folders: dict[tuple[str, str], str] = {}
        for f in self._listing.files:
            kind = self._classify(f)
            if kind is None:
                skipped.append(Skip(f.name, f.display, "not in a UWA3D II layout (aXX_sYY_vVV_eEE/NNN.jpg|png "
                                                       "or aXX_sYY_vVV_eEE.avi)"))
                continue
            name, modality, number = kind
            if modality == "video":
                if name in videos:
                    skipped.append(Skip(name, f.display, f"duplicate video (using {videos[name].display})"))
                else:
                    videos[name] = f
                continue
            folder = str(PurePosixPath(f.display).parent)
            if folders.setdefault((name, modality), folder) != folder:
                skipped.append(Skip(name, f.display, f"second {modality} folder (using {folders[(name, modality)]})"))
                continue
            clips.setdefault(name, {"rgb": {}, "depth": {}})[modality][number] = f
        refs = []
        for name in sorted(set(clips) | set(videos)):
            action, subject, view, episode = (int(g) for g in CLIP_RE.match(name).groups())  # type: ignore[union-attr]
            frames = clips.get(name, {"rgb": {}, "depth": {}})
            where = videos[name].display if name in videos else folders.get((name, "rgb"), folders.get((name, "depth")))
            if not 1 <= action <= NUM_CLASSES or view not in VIEWS:
                skipped.append(Skip(name, str(where), f"activity a{action:02d} or view v{view:02d} outside "
                                                      f"a01-a{NUM_CLASSES} / v01-v04"))
                continue
            locator = {"video": videos.get(name), **{m: tuple(sorted(d.items())) for m, d in frames.items()}}
            refs.append(SampleRef(name, action - 1, {"view": view, "subject": subject, "episode": episode},
                                  locator, str(where)))
        used = list(videos.values()) + [f for c in clips.values() for d in c.values() for f in d.values()]
        return ScanResult(refs, skipped, {}, files=len(self._listing.files), fingerprint=fingerprint(sorted(used)))

    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        loc = ref.locator
        if "rgb" in modalities and loc["video"] is not None and not loc["rgb"]:
            streams = {"rgb": video_frames(loc["video"])}
            if "depth" in modalities:
                streams["depth"] = iter_frames(align({"depth": loc["depth"]}, self.align, ref.display)["depth"],
                                               "depth")
            return VideoClip(video_fps(loc["video"]), streams, truncate=True)
        lists = align({m: loc[m] for m in modalities}, self.align, ref.display)
        return VideoClip(0.0, {mod: iter_frames(frames, mod) for mod, frames in lists.items()})

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        view = np.asarray(ids["view"])
        out = {}
        for a, b in combinations(VIEWS, 2):
            parts = {"train": np.flatnonzero(np.isin(view, (a, b))).astype(np.int32)}
            for c in VIEWS:
                if c not in (a, b):
                    parts[f"test{c}"] = np.flatnonzero(view == c).astype(np.int32)
            out[f"xview{a}{b}"] = parts
        return out
