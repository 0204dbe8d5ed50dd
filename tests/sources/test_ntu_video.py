"""NTU RGB+D videos: colour video + masked depth folders, scan, alignment, bad input."""

from __future__ import annotations

import shutil
import warnings

import cv2
import numpy as np
import pytest
from realdata import real_path

from actionkit.sources.base import SampleError, SampleNote
from actionkit.sources.ntu_video import NTUVideoSource

NAME = "S001C001P001R001A001"


def write_ntu_tree(root, depth_frames: int, name: str = NAME, video: bool = True):
    """``nturgb+d_rgb/<name>_rgb.avi`` (the genuine colour video, 103 frames) and
    ``nturgb+d_depth_masked/<name>/MDepth-%08d.png`` (synthesised, 512x424 uint16)."""
    if video:
        (root / "nturgb+d_rgb").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_path("videos", "S001C001P001R001A001_rgb.avi"), root / "nturgb+d_rgb" / f"{name}_rgb.avi")
    folder = root / "nturgb+d_depth_masked" / name
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(1, depth_frames + 1):
        depth = np.zeros((424, 512), np.uint16)
        depth[100:300, 200 + t:260 + t] = 2500 + t
        cv2.imwrite(str(folder / f"MDepth-{t:08d}.png"), depth)
    return folder


def test_scan_ids_labels_and_exclusions(tmp_path):
    write_ntu_tree(tmp_path, 2)
    write_ntu_tree(tmp_path, 2, name="S018C001P001R001A001", video=False)  # NTU-120 setup
    source = NTUVideoSource(tmp_path, "ntu60")
    scan = source.scan()
    assert [r.name for r in scan.refs] == [NAME] and scan.refs[0].label == 0
    assert scan.refs[0].ids == {"setup": 1, "camera": 1, "performer": 1, "replication": 1}
    assert scan.excluded == {"setup outside S001-S017": 1}
    assert [r.name for r in NTUVideoSource(tmp_path, "ntu120").scan().refs] == [NAME, "S018C001P001R001A001"]
    assert source.dataset == "ntu60-rgbd"


def test_depth_frames_in_order_and_counts_aligned(tmp_path):
    from actionkit.prepare.video import VideoSettings, encode_clip

    write_ntu_tree(tmp_path, 105)  # two depth maps more than the video's 103 frames
    source = NTUVideoSource(tmp_path)
    ref = source.scan().refs[0]
    clip = source.read(ref, ("rgb", "depth"))
    assert clip.fps == pytest.approx(30.0, abs=0.1) and clip.truncate
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records, fields = encode_clip(clip, ("rgb", "depth"), VideoSettings(short_side=32), None)
    assert [str(w.message) for w in caught if w.category is SampleNote] == [
        "rgb ended after 103 frames, before depth: cut to 103"]
    assert len(records["rgb"]) == len(records["depth"]) == 103
    assert fields == {"height": 32, "width": 57, "fps_milli": 30000}
    depth = list(source.read(ref, ("depth",)).modalities["depth"])
    assert len(depth) == 105 and depth[0].dtype == np.uint16 and depth[0].shape == (424, 512)
    assert [int(d.max()) for d in depth[:3]] == [2501, 2502, 2503]


def test_missing_depth_frame_and_missing_video(tmp_path):
    folder = write_ntu_tree(tmp_path, 5, video=False)
    (folder / "MDepth-00000003.png").unlink()
    source = NTUVideoSource(tmp_path)
    ref = source.scan().refs[0]
    with pytest.raises(SampleError, match="frame 3 missing"):
        source.read(ref, ("depth",))
    with pytest.raises(SampleError, match="no colour video"):
        source.read(ref, ("rgb",))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="nturgb"):
        NTUVideoSource(tmp_path / "empty")


def test_every_raw_file_is_accounted_for(tmp_path):
    folder = write_ntu_tree(tmp_path, 2)
    shutil.copyfile(folder / "MDepth-00000001.png", folder / "Depth-00000001.png")  # the other depth kind
    shutil.copyfile(folder / "MDepth-00000001.png", folder / "thumbnail.png")
    shutil.copyfile(tmp_path / "nturgb+d_rgb" / f"{NAME}_rgb.avi", tmp_path / "nturgb+d_rgb" / "copy_rgb.avi")
    scan = NTUVideoSource(tmp_path, "ntu60").scan()
    assert [r.name for r in scan.refs] == [NAME]
    assert sorted(s.path.rsplit("/", 1)[-1] for s in scan.skipped) == ["copy_rgb.avi", "thumbnail.png"]
    assert all(s.reason.startswith("name does not match") for s in scan.skipped)
    assert scan.excluded == {"raw depth maps (not used with depth=masked)": 1}
