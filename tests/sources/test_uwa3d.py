"""UWA3D II: frame folders and videos, frame-number pairing, the 12 cross-view settings, unknown layouts."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from rawvideo import real_frames, synthetic_depth
from realdata import real_path

from actionkit.sources.uwa3d import UWA3DSource


def write_clip(root, name, frames, rgb_numbers, depth_numbers):
    for sub, numbers, ext in (("RGB", rgb_numbers, "jpg"), ("Depth", depth_numbers, "png")):
        folder = root / sub / name
        folder.mkdir(parents=True, exist_ok=True)
        for n in numbers:
            image = cv2.cvtColor(frames[n % len(frames)], cv2.COLOR_RGB2BGR) if ext == "jpg" else synthetic_depth(n)
            cv2.imwrite(str(folder / f"{n:03d}.{ext}"), image)


def test_frame_folders_and_splits(tmp_path):
    frames = real_frames(3)
    write_clip(tmp_path, "a01_s01_v01_e01", frames, [1, 2, 3], [1, 2, 3])
    write_clip(tmp_path, "a30_s02_v03_e00", frames, [1, 2, 10], [2, 10])  # 10 sorts after 2
    write_clip(tmp_path, "a31_s02_v03_e00", frames, [1], [1])
    source = UWA3DSource(tmp_path)
    scan = source.scan()
    assert [r.name for r in scan.refs] == ["a01_s01_v01_e01", "a30_s02_v03_e00"]
    assert [r.label for r in scan.refs] == [0, 29] and scan.refs[1].ids == {"view": 3, "subject": 2, "episode": 0}
    assert [s.name for s in scan.skipped] == ["a31_s02_v03_e00"]
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clip = source.read(scan.refs[1], ("rgb", "depth"))
        depth = list(clip.modalities["depth"])
    assert [str(w.message) for w in caught] == ["3 rgb, 2 depth frames: 2 kept (frame-number alignment)"]
    np.testing.assert_array_equal(depth[1], synthetic_depth(10))
    splits = source.splits(np.array(["a", "b", "c", "d"]), {"view": np.array([1, 2, 3, 4])})
    assert sorted(splits) == ["xview12", "xview13", "xview14", "xview23", "xview24", "xview34"]
    assert {k: v.tolist() for k, v in splits["xview12"].items()} == {"train": [0, 1], "test3": [2], "test4": [3]}


def test_videos_and_unknown_layouts(tmp_path):
    (tmp_path / "videos").mkdir()
    shutil.copyfile(real_path("videos", "test.avi"), tmp_path / "videos" / "a05_s03_v02_e01.avi")
    source = UWA3DSource(tmp_path)
    (ref,) = source.scan().refs
    clip = source.read(ref, ("rgb",))
    assert clip.fps == pytest.approx(25.0) and next(iter(clip.modalities["rgb"])).shape == (240, 320, 3)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "frame_0001.jpg").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match="known layout"):
        UWA3DSource(tmp_path / "other")
