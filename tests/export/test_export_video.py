"""rawframes and videolist exports: MMAction2's tree, naming and file lists."""

from __future__ import annotations

import csv
import shutil

import cv2
import numpy as np
import pytest
from realdata import real_path

from actionkit import open_store
from actionkit.export import ExportError, export
from actionkit.export.video import container_suffix
from actionkit.prepare.video import prepare_video
from actionkit.sources.kinetics import KineticsSource


def test_rawframes(video_store, tmp_path):
    store = open_store(video_store)
    report = export(store, "rawframes", tmp_path / "out")
    names, frames, labels = store.samples["name"], store.samples["frames"], store.samples["label"]
    for i, name in enumerate(names):
        folder = tmp_path / "out" / "rawframes" / str(name)
        rgb = sorted(folder.glob("img_*.jpg"))
        assert [p.name for p in rgb] == [f"img_{t:05d}.jpg" for t in range(1, frames[i] + 1)]
        assert rgb[0].read_bytes() == store.encoded(i, "rgb", [0])[0][0]  # the store's JPEG, unchanged
        for axis in "xy":
            flow = sorted(folder.glob(f"flow_{axis}_*.jpg"))
            assert len(flow) == frames[i] - 1 and flow[0].read_bytes()[:2] == b"\xff\xd8"  # JPEG
        stored = store.images(i, "flow", [0])[0, :, :, 0].astype(int)  # quantised x of frame 0 (PNG, lossless)
        jpeg = cv2.imread(str(folder / "flow_x_00001.jpg"), cv2.IMREAD_GRAYSCALE).astype(int)
        assert np.abs(jpeg - stored).mean() < 2.0
    for part, file_part in (("train", "train"), ("test", "val")):
        lines = (tmp_path / "out" / f"xview_{file_part}_rawframes.txt").read_text().splitlines()
        idx = store.split("xview", part)
        assert lines == [f"{names[i]} {frames[i]} {labels[i]}" for i in idx]
        flow_lines = (tmp_path / "out" / f"xview_{file_part}_rawframes_flow.txt").read_text().splitlines()
        assert flow_lines == [f"{names[i]} {frames[i] - 1} {labels[i]}" for i in idx]
    assert report.samples == len(store)
    with pytest.raises(ExportError, match="keeps frames, not the video files"):
        export(store, "videolist", tmp_path / "v")
    with pytest.raises(ExportError, match="a video store"):
        export(store, "stgcn", tmp_path / "s")


def test_videolist(tmp_path):
    """A Kinetics-layout store of whole videos (copies of the real demo.mp4) -> the files and MMAction2's lists."""
    with open(real_path("kinetics400", "kinetics400_validate.csv")) as fh:
        rows = list(csv.DictReader(fh))[:2]
    (tmp_path / "ann").mkdir()
    shutil.copyfile(real_path("kinetics400", "kinetics400_validate.csv"), tmp_path / "ann" / "validate.csv")
    names = []
    for row in rows:
        name = f"{row['youtube_id']}_{int(row['time_start']):06d}_{int(row['time_end']):06d}"
        (tmp_path / "val").mkdir(exist_ok=True)
        shutil.copyfile(real_path("videos", "demo.mp4"), tmp_path / "val" / f"{name}.mp4")
        names.append(name)
    prepare_video(KineticsSource(tmp_path / "val", annotations=tmp_path / "ann"), tmp_path / "k.zarr",
                  streams=("video",), workers=1)
    store = open_store(tmp_path / "k.zarr")
    report = export(store, "videolist", tmp_path / "out")
    original = real_path("videos", "demo.mp4").read_bytes()
    for name in names:
        assert (tmp_path / "out" / "videos" / f"{name}.mp4").read_bytes() == original
    lines = (tmp_path / "out" / "official_val_videos.txt").read_text().splitlines()
    labels = store.samples["label"]
    assert lines == [f"{n}.mp4 {labels[i]}" for i, n in enumerate(store.samples["name"])]
    assert (tmp_path / "out" / "official_train_videos.txt").read_text() == ""
    assert report.samples == 2
    assert container_suffix(real_path("videos", "test.avi").read_bytes()[:64]) == ".avi"
