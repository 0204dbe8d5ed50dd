"""Raw video trees in the datasets' genuine layouts, built from genuine frames, for tests.

Frames come from the real clips in ``../shared/data/real/videos/`` (decoded with PyAV);
depth maps are synthesised as uint16 PNGs (no real depth file is available). Callers
get the shared data through ``conftest.real_path``, so tests skip with a clear reason
when it is absent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import av
import cv2
import numpy as np
from realdata import real_path


def real_frames(count: int, clip: str = "demo.mp4") -> list[np.ndarray]:
    """The first ``count`` frames of a real clip, uint8 RGB ``[H, W, 3]``."""
    frames = []
    with av.open(str(real_path("videos", clip))) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


def synthetic_depth(t: int, height: int = 240, width: int = 320) -> np.ndarray:
    """A uint16 depth map in millimetres: a tilted floor, a box moving with ``t``, 0 = no reading."""
    y, x = np.mgrid[0:height, 0:width]
    depth = (1500 + 8 * y + 2 * x).astype(np.uint16)
    x0 = 40 + 6 * t
    depth[80:200, x0:x0 + 60] = 1200
    depth[:10, :20] = 0
    return depth


def write_nwucla_clip(root: Path, view: int, clip: str, frames: list[np.ndarray], *,
                      rgb_numbers: list[int] | None = None, depth_numbers: list[int] | None = None) -> Path:
    """``root/multiview_action/view_<view>/<clip>/frame_<n>_tc_<ts>_{rgb.jpg,depth.png}``.

    RGB frames are resized to the dataset's 640x480; numbers default to 0..len-1 for both
    modalities; each modality gets its own (different) timestamps, as in the download.
    """
    folder = root / "multiview_action" / f"view_{view}" / clip
    folder.mkdir(parents=True, exist_ok=True)
    rgb_numbers = list(range(len(frames))) if rgb_numbers is None else rgb_numbers
    depth_numbers = rgb_numbers if depth_numbers is None else depth_numbers
    for n in rgb_numbers:
        image = cv2.resize(frames[n % len(frames)], (640, 480), interpolation=cv2.INTER_LINEAR)
        cv2.imwrite(str(folder / f"frame_{n}_tc_{1000 + 83 * n}_rgb.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    for n in depth_numbers:
        cv2.imwrite(str(folder / f"frame_{n}_tc_{1011 + 83 * n}_depth.png"), synthetic_depth(n))
        (folder / f"frame_{n}_tc_{1011 + 83 * n}_depth_vis.jpg").write_bytes(b"not read")
    return folder


def write_ucf_tree(root: Path, videos: list[str], clip: str = "test.avi") -> Path:
    """``root/UCF-101/<Class>/<video>``: copies of a real XviD clip under UCF-101 names.

    The class folder is the name's class, except ``HandStandPushups`` whose folder is
    ``HandstandPushups`` (the dataset's quirk).
    """
    source = real_path("videos", clip)
    for video in videos:
        cls = video.split("_")[1]
        folder = root / "UCF-101" / ("HandstandPushups" if cls == "HandStandPushups" else cls)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / video)
    return root / "UCF-101"


def kinetics_download(root: Path, *, train_per_class: int, val_per_class: int, classes: int = 2,
                      clips: tuple[str, ...] = ("demo.mp4", "test.avi")) -> Path:
    """A Kinetics-400 download of real clips, named as Kinetics names them.

    The first ``classes`` labels of the genuine ``kinetics400_validate.csv``, and for each
    its first rows; each row's clip is a copy of one of ``clips`` (default ``demo.mp4``,
    h264 MP4, and ``test.avi``, XviD AVI), in turn, saved as ``<class>/<youtube_id>_<start:06d>_<end:06d>.<ext>``
    under ``root/train`` or ``root/val``. ``root/annotations`` gets ``train.csv`` and
    ``validate.csv`` naming them. Returns ``root``.
    """
    import csv

    with open(real_path("kinetics400", "kinetics400_validate.csv")) as fh:
        rows = list(csv.DictReader(fh))
    by_label: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_label.setdefault(row["label"], []).append(row)
    ann = root / "annotations"
    ann.mkdir(parents=True)
    header = ["label", "youtube_id", "time_start", "time_end", "split"]
    tables = {"train": [header], "val": [header]}
    files = [real_path("videos", name) for name in clips]
    for c, label in enumerate(sorted(by_label)[:classes]):
        for j, row in enumerate(by_label[label][:train_per_class + val_per_class]):
            part = "train" if j < train_per_class else "val"
            tables[part].append([label, row["youtube_id"], row["time_start"], row["time_end"],
                                 "train" if part == "train" else "validate"])
            clip = files[(c + j) % len(files)]
            folder = root / part / label.replace(" ", "_")
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{row['youtube_id']}_{int(row['time_start']):06d}_{int(row['time_end']):06d}{clip.suffix}"
            shutil.copyfile(clip, folder / name)
    for part, file in (("train", "train.csv"), ("val", "validate.csv")):
        with open(ann / file, "w", newline="") as fh:
            csv.writer(fh).writerows(tables[part])
    return root
