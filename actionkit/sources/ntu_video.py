"""NTU RGB+D 60 / 120 videos: colour videos and masked depth maps (DMCL's NTU).

Raw layout (folders and/or zip archives, any depth)::

    nturgb+d_rgb/SsssCcccPpppRrrrAaaa_rgb.avi                 h264 1920x1080 30 fps
    nturgb+d_depth_masked/SsssCcccPpppRrrrAaaa/MDepth-00000001.png   uint16 mm, 512x424, 1-based
    (or unmasked: nturgb+d_depth/<name>/Depth-00000001.png)

Colour and depth are recorded together, frame t with frame t; when their counts differ
both are cut to the shorter (a note on the sample says so). Colour frames are resized to the store's
short side while they are decoded, so a 1080p video never sits in memory whole. Sample
ids, labels and the x-sub / x-view (NTU-60) or x-sub / x-set (NTU-120) protocols are
those of the skeleton store (:mod:`actionkit.sources.ntu`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

import numpy as np

from actionkit.reports import Skip
from actionkit.sources.base import SampleError, SampleRef, ScanResult, VideoClip, VideoSource
from actionkit.sources.framefolders import decode_frame
from actionkit.sources.ntu import VARIANTS, ntu_splits, parse_sample_name
from actionkit.sources.rawfiles import RawFile, fingerprint, list_raw_files
from actionkit.sources.videofiles import video_fps, video_frames

RGB_RE = re.compile(r"^(S\d{3}C\d{3}P\d{3}R\d{3}A\d{3})_rgb\.avi$")
DEPTH_RE = re.compile(r"^M?Depth-(\d{8})\.png$")


class NTUVideoSource(VideoSource):
    """NTU RGB+D colour videos and (masked) depth maps.

    Args:
        raw: Folders and/or zip archives with ``*_rgb.avi`` files and depth folders.
        variant: ``"ntu60"`` (setups 1-17) or ``"ntu120"`` (1-32).
        depth: ``"masked"`` (``MDepth-*.png``, the DMCL input) or ``"full"`` (``Depth-*.png``).

    Raises:
        FileNotFoundError: no colour video or depth map found (says where it looked).
    """

    id_fields = ("setup", "camera", "performer", "replication")
    modalities = ("rgb", "depth")

    def __init__(self, raw, variant: str = "ntu60", depth: str = "masked"):
        if variant not in VARIANTS:
            raise ValueError(f"unknown NTU variant {variant!r}; known: {', '.join(VARIANTS)}")
        if depth not in ("masked", "full"):
            raise ValueError(f"depth {depth!r} is not 'masked' or 'full'")
        self.raw = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        self.variant = variant
        self.depth = depth
        self.last_setup, self.classes, _ = VARIANTS[variant]
        self.dataset = f"{variant}-rgbd"
        self.description = f"NTU RGB+D {variant[3:]} colour videos and {depth} depth maps"
        self._listing = list_raw_files(self.raw, ("_rgb.avi", ".png"))
        if not self._listing.files:
            raise FileNotFoundError(f"NTU videos: no *_rgb.avi or depth PNG under {', '.join(map(str, self.raw))} "
                                    f"(looked in folders and zip archives for nturgb+d_rgb/ and "
                                    f"nturgb+d_depth_masked/<name>/MDepth-########.png)")

    def options(self) -> dict:
        return {"depth": self.depth}

    def scan(self) -> ScanResult:
        skipped = list(self._listing.problems)
        videos: dict[str, RawFile] = {}
        depths: dict[str, dict[int, RawFile]] = {}
        prefix = "MDepth-" if self.depth == "masked" else "Depth-"
        excluded: dict[str, int] = {}
        for f in self._listing.files:
            m = RGB_RE.match(f.name)
            if m:
                if m.group(1) in videos:
                    skipped.append(Skip(m.group(1), f.display, f"duplicate video (using {videos[m.group(1)].display})"))
                else:
                    videos[m.group(1)] = f
                continue
            d = DEPTH_RE.match(f.name)
            parts = PurePosixPath(f.path.replace("\\", "/")).parts
            if d and f.name.startswith(prefix) and len(parts) >= 2 and parse_sample_name(parts[-2]):
                depths.setdefault(parts[-2], {})[int(d.group(1))] = f
            elif d and len(parts) >= 2 and parse_sample_name(parts[-2]):  # the other depth kind: counted
                other = "masked" if self.depth != "masked" else "raw"
                rule = f"{other} depth maps (not used with depth={self.depth})"
                excluded[rule] = excluded.get(rule, 0) + 1
            else:  # every raw file is accounted for
                skipped.append(Skip(f.name.split(".")[0], f.display,
                                    "name does not match SsssCcccPpppRrrrAaaa_rgb.avi or "
                                    "SsssCcccPpppRrrrAaaa/[M]Depth-NNNNNNNN.png"))
        refs = []
        for name in sorted(set(videos) | set(depths)):
            ids = parse_sample_name(name)
            assert ids is not None
            first_depth = next(iter(depths[name].values())) if name in depths else None
            where = videos[name].display if name in videos else str(PurePosixPath(first_depth.display).parent)
            if ids["setup"] > self.last_setup:
                rule = f"setup outside S001-S{self.last_setup:03d}"
                excluded[rule] = excluded.get(rule, 0) + 1
                continue
            if not 1 <= ids["action"] <= len(self.classes):
                skipped.append(Skip(name, where, f"action A{ids['action']:03d} outside 1..{len(self.classes)}"))
                continue
            locator = (videos.get(name), tuple(sorted(depths.get(name, {}).items())))
            refs.append(SampleRef(name, ids["action"] - 1, {k: ids[k] for k in self.id_fields}, locator, where))
        used = list(videos.values()) + [f for d in depths.values() for f in d.values()]
        return ScanResult(refs, skipped, excluded, files=len(self._listing.files), fingerprint=fingerprint(used))

    def read(self, ref: SampleRef, modalities: tuple[str, ...]) -> VideoClip:
        video, depth = ref.locator
        if "rgb" in modalities and video is None:
            raise SampleError(f"no colour video {ref.name}_rgb.avi")
        if "depth" in modalities and not depth:
            raise SampleError(f"no {self.depth} depth maps for {ref.name}")
        fps = video_fps(video) if "rgb" in modalities else 30.0
        streams: dict[str, Iterator[np.ndarray]] = {}
        if "depth" in modalities:
            numbers = [n for n, _ in depth]
            if numbers != list(range(1, len(numbers) + 1)):
                gap = next(i + 1 for i, n in enumerate(numbers) if n != i + 1)
                raise SampleError(f"depth maps of {ref.name} are not numbered 1..{len(numbers)} (frame {gap} missing)")
            streams["depth"] = (decode_frame(f, "depth") for _, f in depth)
        if "rgb" in modalities:
            streams["rgb"] = video_frames(video)
        # The colour count is known only once decoded: stop at the shorter modality, with a note.
        return VideoClip(fps, streams, truncate=True)

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        return ntu_splits(self.variant, ids)
