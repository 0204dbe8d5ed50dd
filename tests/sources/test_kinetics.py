"""Kinetics-400: the genuine annotation CSV, names parsed from the right, clips kept as video files."""

from __future__ import annotations

import csv
import shutil

import av
import numpy as np
import pytest
from realdata import real_path

from actionkit import open_store
from actionkit.prepare.video import prepare_video
from actionkit.sources.kinetics import KineticsSource, read_annotations
from actionkit.store.inspect import verify_store


@pytest.fixture(scope="module")
def rows():
    with open(real_path("kinetics400", "kinetics400_validate.csv")) as fh:
        return list(csv.DictReader(fh))


def make_download(root, rows, picks):
    """Clips named <id>_<start>_<end>.mp4 in class folders ('_' for spaces), copies of a real h264 clip."""
    ann = root / "annotations"
    ann.mkdir(parents=True)
    shutil.copyfile(real_path("kinetics400", "kinetics400_validate.csv"), ann / "validate.csv")
    for row in picks:
        folder = root / "val" / row["label"].replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{row['youtube_id']}_{int(row['time_start']):06d}_{int(row['time_end']):06d}.mp4"
        shutil.copyfile(real_path("videos", "demo.mp4"), folder / name)
    return ann


def test_genuine_annotations(rows):
    parsed = read_annotations(real_path("kinetics400", "kinetics400_validate.csv"))
    assert len(parsed) == 17770 and len({r["label"] for r in parsed}) == 400
    labels = real_path("label_maps", "mmaction2_kinetics_label_map_k400.txt").read_text().splitlines()
    assert sorted({r["label"] for r in parsed}) == sorted(labels)  # the class list is the sorted labels


def test_scan_and_store_as_video(tmp_path, rows):
    dashed = [r for r in rows if r["youtube_id"].startswith("-") and "_" in r["youtube_id"]][:1]
    picks = dashed + [rows[100], rows[5000]]
    ann = make_download(tmp_path, rows, picks)
    (tmp_path / "val" / "stray_clip.mp4").write_bytes(b"x")
    source = KineticsSource(tmp_path / "val", annotations=ann)
    scan = source.scan()
    assert len(source.classes) == 400
    names = sorted(f"{r['youtube_id']}_{int(r['time_start']):06d}_{int(r['time_end']):06d}" for r in picks)
    assert [r.name for r in scan.refs] == names
    assert scan.excluded == {"annotated, but no clip in the download": 17770 - 3}
    assert [s.reason for s in scan.skipped] == ["no annotation row for this clip"]
    by_name = {r.name: r for r in scan.refs}
    for row in picks:
        ref = by_name[f"{row['youtube_id']}_{int(row['time_start']):06d}_{int(row['time_end']):06d}"]
        assert source.classes[ref.label] == row["label"]

    out = tmp_path / "k400.zarr"
    report = prepare_video(source, out, streams=("video",), workers=1)
    assert report.samples == 3 and len(report.skipped) == 1
    store = open_store(out)
    assert store.samples["frames"].tolist() == [280] * 3 and store.samples["width"].tolist() == [340] * 3
    assert store.split("official", "val").tolist() == [0, 1, 2] and store.split("official", "train").tolist() == []
    assert store.attrs["video"]["representation"] == "video"
    with av.open(str(real_path("videos", "demo.mp4"))) as container:
        reference = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    got = store.images(1, "video", [279, 0, 140])
    np.testing.assert_array_equal(got, np.stack([reference[279], reference[0], reference[140]]))
    assert store.encoded(2, "video")[0][0] == real_path("videos", "demo.mp4").read_bytes()
    assert verify_store(out).ok


def test_missing_annotations_are_named(tmp_path):
    (tmp_path / "clips").mkdir()
    shutil.copyfile(real_path("videos", "demo.mp4"), tmp_path / "clips" / "abcdefghijk_000001_000011.mp4")
    with pytest.raises(FileNotFoundError, match="--annotations"):
        KineticsSource(tmp_path / "clips")
    (tmp_path / "bad.csv").write_text("label,youtube_id,time_start,time_end,split\nx,abcdefghijk,one,11,train\n")
    with pytest.raises(ValueError, match="bad.csv line 2"):
        KineticsSource(tmp_path / "clips", annotations=tmp_path / "bad.csv")
