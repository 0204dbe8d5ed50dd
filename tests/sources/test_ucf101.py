"""UCF-101: class index, split lists in both formats, the HandstandPushups quirk, scan and splits."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from rawvideo import write_ucf_tree
from realdata import real_path

from actionkit.sources.ucf101 import UCF101Source, read_class_index, read_split_list

VIDEOS = ["v_ApplyEyeMakeup_g08_c01.avi", "v_ApplyEyeMakeup_g01_c01.avi", "v_HandStandPushups_g01_c02.avi",
          "v_HandStandPushups_g09_c01.avi"]


def official_lists(folder):
    """The genuine classInd / trainlist01 files, and testlist01 in both formats."""
    folder.mkdir(parents=True, exist_ok=True)
    real = real_path("ucf101")
    for name in ("classInd.txt", "trainlist01.txt", "testlist01.txt"):
        shutil.copyfile(real / name, folder / name)
    return folder


def test_genuine_files_parse():
    classes = read_class_index(real_path("ucf101", "classInd.txt"))
    assert len(classes) == 101 and classes[0] == "ApplyEyeMakeup" and classes[-1] == "YoYo"
    train = read_split_list(real_path("ucf101", "trainlist01.txt"), classes)
    test = read_split_list(real_path("ucf101", "testlist01.txt"), classes)  # this copy appends a class index
    assert len(train) == 9537 and len(test) == 3783 and not set(train) & set(test)
    assert "v_handstandpushups_g01_c01" in test


def test_official_testlist_without_index(tmp_path):
    classes = read_class_index(real_path("ucf101", "classInd.txt"))
    lines = real_path("ucf101", "testlist01.txt").read_text().splitlines()
    (tmp_path / "testlist01.txt").write_text("\n".join(line.split()[0] for line in lines) + "\n")
    assert read_split_list(tmp_path / "testlist01.txt", classes) == read_split_list(
        real_path("ucf101", "testlist01.txt"), classes)


def test_scan_labels_quirk_and_splits(tmp_path):
    raw = tmp_path / "dl"
    write_ucf_tree(raw, VIDEOS)
    lists = official_lists(tmp_path / "ucfTrainTestlist")
    source = UCF101Source(raw, annotations=lists)
    scan = source.scan()
    names = [r.name for r in scan.refs]
    assert names == ["v_ApplyEyeMakeup_g01_c01", "v_ApplyEyeMakeup_g08_c01", "v_HandStandPushups_g01_c02",
                     "v_HandStandPushups_g09_c01"]
    assert [r.label for r in scan.refs] == [0, 0, 36, 36]  # HandStandPushups files, HandstandPushups folder
    assert scan.refs[2].ids == {"group": 1, "clip": 2}
    splits = source.splits(np.array(names), {})
    assert splits["split1"]["train"].tolist() == [1, 3] and splits["split1"]["test"].tolist() == [0, 2]
    assert any("not in the download" in w for w in source.warnings)
    assert any("split 2 train not stored" in w for w in source.warnings)


def test_bad_files_and_lists(tmp_path):
    raw = tmp_path / "dl"
    write_ucf_tree(raw, VIDEOS[:1])
    (raw / "UCF-101" / "ApplyEyeMakeup" / "clip.avi").write_bytes(b"x")
    (raw / "UCF-101" / "Nope").mkdir()
    (raw / "UCF-101" / "Nope" / "v_Nope_g01_c01.avi").write_bytes(b"x")
    (raw / "classInd.txt").write_text("1 ApplyEyeMakeup\n")
    scan = UCF101Source(raw).scan()
    reasons = {s.name: s.reason for s in scan.skipped}
    assert "not named" in reasons["clip.avi"] and "not in" in reasons["v_Nope_g01_c01"]
    (raw / "trainlist01.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 2\n")
    with pytest.raises(ValueError, match="trainlist01.txt line 1"):
        UCF101Source(raw)
    (raw / "classInd.txt").write_text("2 ApplyEyeMakeup\n")
    with pytest.raises(ValueError, match="classInd.txt line 1"):
        UCF101Source(raw)
    with pytest.raises(FileNotFoundError, match="--annotations"):
        UCF101Source(write_ucf_tree(tmp_path / "other", VIDEOS[:1]))
