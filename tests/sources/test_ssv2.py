"""Something-Something v2: label files in the genuine JSON format, template classes, splits, whole videos."""

from __future__ import annotations

import json
import shutil

import pytest
from realdata import real_path

from actionkit import open_store
from actionkit.prepare.video import prepare_video
from actionkit.sources.ssv2 import LABELS, SSv2Source, template_class


@pytest.fixture()
def download(tmp_path):
    classes = real_path("label_maps", "mmaction2_sthv2_label_map.txt").read_text().splitlines()
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / LABELS).write_text(json.dumps({c: str(i) for i, c in enumerate(classes)}))
    train = [{"id": "78687", "label": "holding potato next to vicks vaporub bottle",
              "template": "Holding [something] next to [something]",
              "placeholders": ["potato", "vicks vaporub bottle"]},
             {"id": "42326", "label": "spreading margarine onto bread",
              "template": "Spreading [something] onto [something]", "placeholders": ["margarine", "bread"]}]
    val = [{"id": "74225", "label": "spinning cube that quickly stops spinning",
            "template": "Spinning [something] that quickly stops spinning", "placeholders": ["cube"]},
           {"id": "1", "label": "missing clip", "template": "Holding [something] next to [something]",
            "placeholders": ["a", "b"]}]
    test = [{"id": "1420"}]
    for name, records in (("train", train), ("validation", val), ("test", test)):
        (labels / f"something-something-v2-{name}.json").write_text(json.dumps(records))
    videos = tmp_path / "20bn-something-something-v2"
    videos.mkdir()
    for vid in ("78687", "42326", "74225", "1420", "999"):
        shutil.copyfile(real_path("videos", "demo.mp4"), videos / f"{vid}.webm")
    return videos, labels, classes


def test_scan_classes_and_splits(download):
    videos, labels, classes = download
    source = SSv2Source(videos, labels=labels)
    assert len(source.classes) == 174 and source.classes == tuple(classes)
    scan = source.scan()
    assert [r.name for r in scan.refs] == ["42326", "74225", "78687"]
    assert source.classes[scan.refs[2].label] == template_class("Holding [something] next to [something]")
    assert scan.excluded == {"test records (no label)": 1, "annotated, but no video in the download": 1}
    assert [(s.name, s.reason) for s in scan.skipped] == [("999", "no label record for this video")]
    out = videos.parent / "ssv2.zarr"
    prepare_video(source, out, streams=("video",), workers=1)
    store = open_store(out)
    assert store.split("official", "train").tolist() == [0, 2] and store.split("official", "val").tolist() == [1]
    assert store.images(0, "video", [0, 279]).shape == (2, 256, 340, 3)


def test_bad_label_files(download):
    videos, labels, _ = download
    (labels / "something-something-v2-train.json").write_text('[{"id": "5"}]')
    with pytest.raises(ValueError, match="train.json record 0"):
        SSv2Source(videos, labels=labels)
    (labels / LABELS).write_text('{"a": "0", "b": "2"}')
    with pytest.raises(ValueError, match="indices 0..N-1"):
        SSv2Source(videos, labels=labels)
    with pytest.raises(FileNotFoundError, match="--annotations"):
        SSv2Source(videos)
