"""Sharded video prepares: parts finishing in any order merge into the single-process store."""

from __future__ import annotations

import pytest
from rawvideo import real_frames, write_nwucla_clip

from actionkit import open_store
from actionkit.prepare.parts import block, parse_shard, parts_dir
from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.sources.nwucla_video import NWUCLAVideoSource

SMALL = VideoSettings(short_side=32, min_frames=2)


@pytest.fixture()
def raw(tmp_path):
    frames = real_frames(4)
    root = tmp_path / "raw"
    for k, (view, clip, count) in enumerate([(1, "a01_s01_e01", 3), (1, "a02_s01_e01", 1), (2, "a03_s02_e01", 4),
                                             (3, "a05_s03_e02", 2), (3, "a06_s03_e02", 3), (3, "a08_s04_e01", 2)]):
        write_nwucla_clip(root, view, clip, frames[:count], depth_numbers=list(range(count + (k == 4))))
    return root


def test_parse_and_block():
    assert parse_shard("3/16") == (3, 16) and parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "3", "a/b"):
        with pytest.raises(ValueError, match="i/n"):
            parse_shard(bad)
    items = list(range(10))
    assert [block(items, (i, 3)) for i in (1, 2, 3)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    assert sum((block(items, (i, 16)) for i in range(1, 17)), []) == items


def test_shards_in_any_order_give_the_single_process_store(tmp_path, raw):
    streams = ("rgb", "depth")
    single = prepare_video(NWUCLAVideoSource(raw), tmp_path / "one.zarr", streams=streams, settings=SMALL, workers=1)
    out = tmp_path / "sharded.zarr"
    reports = {}
    for i in (3, 1, 2):
        reports[i] = prepare_video(NWUCLAVideoSource(raw), out, streams=streams, settings=SMALL, workers=1,
                                   shard=(i, 3))
    assert "2 of 3 parts complete" in reports[1].status and "merged into" in reports[2].status
    assert not parts_dir(out).exists()
    a, b = open_store(tmp_path / "one.zarr"), open_store(out)
    assert a.samples["name"].tolist() == b.samples["name"].tolist() and len(b) == single.samples == 5
    for key in a.samples:
        assert a.samples[key].tolist() == b.samples[key].tolist(), key
    for i in range(len(a)):
        for s in streams:
            assert a.encoded(i, s) == b.encoded(i, s)
    assert a.splits["xview"]["test"].tolist() == b.splits["xview"]["test"].tolist()
    assert a.attrs["skipped"] == b.attrs["skipped"] and a.attrs["notes"] == b.attrs["notes"]
    assert a.attrs["counts"] == b.attrs["counts"] and reports[2].samples == 5


def test_a_held_lock_defers_the_merge(tmp_path, raw):
    out = tmp_path / "s.zarr"
    prepare_video(NWUCLAVideoSource(raw), out, streams=("rgb",), settings=SMALL, workers=1, shard=(1, 2))
    (parts_dir(out) / ".merging").mkdir()  # another shard is merging
    report = prepare_video(NWUCLAVideoSource(raw), out, streams=("rgb",), settings=SMALL, workers=1, shard=(2, 2))
    assert "another shard is merging" in report.status and not out.exists()
