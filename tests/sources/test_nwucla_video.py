"""NW-UCLA RGB-D frame folders: scan, frame-number alignment, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from rawvideo import real_frames, write_nwucla_clip

from actionkit.sources.base import SampleError, SampleNote
from actionkit.sources.nwucla_video import NWUCLAVideoSource


@pytest.fixture(scope="module")
def frames():
    return real_frames(6)


def test_scan_names_labels_and_ids(tmp_path, frames):
    write_nwucla_clip(tmp_path, 1, "a01_s02_e03", frames[:3])
    write_nwucla_clip(tmp_path, 3, "a12_s10_e00", frames[:2])
    write_nwucla_clip(tmp_path, 2, "a07_s01_e00", frames[:2])  # a07 is no NW-UCLA action
    scan = NWUCLAVideoSource(tmp_path).scan()
    assert [r.name for r in scan.refs] == ["a01_s02_e03_v01", "a12_s10_e00_v03"]
    assert [r.label for r in scan.refs] == [0, 9]
    assert scan.refs[0].ids == {"view": 1, "subject": 2, "episode": 3}
    assert [s.name for s in scan.skipped] == ["a07_s01_e00_v02"] and "10 NW-UCLA actions" in scan.skipped[0].reason
    assert scan.files == 3 * 2 + 2 * 2 + 2 * 2  # rgb and depth files; the _depth_vis.jpg files are not listed


def test_frames_are_aligned_on_frame_number(tmp_path, frames):
    # RGB frames 0-5, depth 1-5 and 8: numbers 1-5 have both; 10 sorts after 9 (not as text).
    write_nwucla_clip(tmp_path, 1, "a01_s01_e00", frames, rgb_numbers=[0, 1, 2, 3, 4, 5, 10],
                      depth_numbers=[1, 2, 3, 4, 5, 10, 8])
    source = NWUCLAVideoSource(tmp_path)
    ref = source.scan().refs[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clip = source.read(ref, ("rgb", "depth"))
        rgb, depth = list(clip.modalities["rgb"]), list(clip.modalities["depth"])
    assert len(rgb) == len(depth) == 6
    assert [str(w.message) for w in caught if w.category is SampleNote] == [
        "7 rgb, 7 depth frames: 6 kept (frame-number alignment)"]
    assert rgb[0].shape == (480, 640, 3) and rgb[0].dtype == np.uint8
    assert depth[0].dtype == np.uint16 and depth[0].shape == (240, 320)
    # Frame number 1 of both modalities comes first; depth is synthesised from its number.
    from rawvideo import synthetic_depth
    np.testing.assert_array_equal(depth[0], synthetic_depth(1))
    np.testing.assert_array_equal(depth[-1], synthetic_depth(10))

    truncating = NWUCLAVideoSource(tmp_path, align="truncate")
    clip = truncating.read(truncating.scan().refs[0], ("rgb", "depth"))
    depth = list(clip.modalities["depth"])
    assert len(depth) == 7 and (depth[5] == synthetic_depth(8)).all()  # 1,2,3,4,5,8,10 cut to 7 of 7


def test_bad_input_names_the_file(tmp_path, frames):
    folder = write_nwucla_clip(tmp_path, 1, "a01_s01_e00", frames[:3])
    corrupt = sorted(folder.glob("frame_1_*_rgb.jpg"))[0]
    corrupt.write_bytes(b"\xff\xd8 truncated")
    write_nwucla_clip(tmp_path, 1, "a02_s01_e00", frames[:2], rgb_numbers=[0, 1], depth_numbers=[5, 6])
    source = NWUCLAVideoSource(tmp_path)
    bad, disjoint = source.scan().refs
    with pytest.raises(SampleError, match=corrupt.name):
        list(source.read(bad, ("rgb",)).modalities["rgb"])
    with pytest.raises(SampleError, match="no frame number has both rgb and depth"):
        source.read(disjoint, ("rgb", "depth"))
    assert len(list(source.read(disjoint, ("depth",)).modalities["depth"])) == 2


def test_missing_download_says_where_it_looked(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="multiview_action"):
        NWUCLAVideoSource(tmp_path / "empty")
    with pytest.raises(ValueError, match="align"):
        NWUCLAVideoSource(tmp_path, align="nearest")
