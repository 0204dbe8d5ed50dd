"""NTU source: names, scan rules, splits at full scale, real files, zip vs folder."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pytest
from realdata import real_path

from actionkit.kernels.skeleton_text import parse_ntu_skeleton
from actionkit.sources.ntu import NTUSource, ntu_splits, parse_sample_name, read_missing_list


def test_parse_sample_name():
    assert parse_sample_name("S017C003P020R002A060") == {
        "setup": 17, "camera": 3, "performer": 20, "replication": 2, "action": 60}
    assert parse_sample_name("S017C003P020R002A060.skeleton") is None
    assert parse_sample_name("s017c003p020r002a060") is None


def test_shipped_missing_list_equals_the_official_lists():
    shipped = read_missing_list()
    assert len(shipped) == 535
    official120 = read_missing_list(real_path("ntu", "NTU_RGBD120_samples_with_missing_skeletons.txt"))
    official60 = read_missing_list(real_path("ntu", "NTU_RGBD_samples_with_missing_skeletons.txt"))
    assert shipped == official120
    assert len(official60) == 302 and {n for n in shipped if int(n[1:4]) <= 17} == official60


def _ids_from_names(names: list[str]) -> dict[str, np.ndarray]:
    parsed = [parse_sample_name(n) for n in names]
    return {k: np.array([p[k] for p in parsed]) for k in ("setup", "camera", "performer", "replication", "action")}


def test_ntu60_split_sizes_on_all_56578_real_sample_names():
    meta = real_path("ntu", "ntu60_metadata")
    names = (meta / "skes_available_name.txt").read_text().split()
    assert len(names) == 56578
    ids = _ids_from_names(names)
    # The metadata's own columns agree with what the names say.
    for field, fname in [("camera", "camera"), ("performer", "performer"), ("setup", "setup"),
                         ("replication", "replication"), ("action", "label")]:
        column = np.array((meta / f"{fname}.txt").read_text().split(), dtype=int)
        np.testing.assert_array_equal(ids[field], column)
    splits = ntu_splits("ntu60", ids)
    assert (len(splits["xsub"]["train"]), len(splits["xsub"]["test"])) == (40091, 16487)
    assert (len(splits["xview"]["train"]), len(splits["xview"]["test"])) == (37646, 18932)


def test_scan_applies_missing_list_and_setup_range_on_stand_in_files(tmp_path):
    """Every 50th NTU-60 name as an empty stand-in file, plus every listed-missing name and two NTU-120 ones.

    The split sizes of all 56,578 names are proven from the names alone (above); here the scan
    must keep exactly the available stand-ins, exclude the listed ones by reason, and split
    what it kept as the names say.
    """
    meta = real_path("ntu", "ntu60_metadata")
    names = (meta / "skes_available_name.txt").read_text().split()[::50]
    missing = sorted(read_missing_list())
    extra120 = ["S018C001P008R001A061", "S032C003P106R002A120"]
    raw = tmp_path / "nturgb+d_skeletons"
    raw.mkdir()
    for n in names + missing + extra120:
        (raw / f"{n}.skeleton").touch()
    scan60 = NTUSource([raw], "ntu60").scan()
    assert [r.name for r in scan60.refs] == sorted(names) and len(names) == 1132
    assert scan60.excluded == {"official missing-skeleton list": 302, "setup after S017 (not part of ntu60)": 235}
    scan120 = NTUSource([raw], "ntu120").scan()
    assert sorted(r.name for r in scan120.refs) == sorted(names + extra120)
    assert scan120.excluded == {"official missing-skeleton list": 535}
    ids = {k: np.array([r.ids[k] for r in scan60.refs]) for k in NTUSource.id_fields}
    splits = NTUSource([raw], "ntu60").splits(np.array([r.name for r in scan60.refs]), ids)
    expected = ntu_splits("ntu60", _ids_from_names([r.name for r in scan60.refs]))
    for protocol in ("xsub", "xview"):
        for part in ("train", "test"):
            np.testing.assert_array_equal(splits[protocol][part], expected[protocol][part])
    assert 0 < len(splits["xsub"]["train"]) < len(names)


def test_ntu120_splits():
    ids = {"performer": np.array([1, 45, 3, 106]), "camera": np.ones(4, int), "setup": np.array([1, 2, 31, 32])}
    s = ntu_splits("ntu120", ids)
    assert s["xsub"]["train"].tolist() == [0, 1] and s["xsub"]["test"].tolist() == [2, 3]
    assert s["xset"]["train"].tolist() == [1, 3] and s["xset"]["test"].tolist() == [0, 2]
    assert s["xsub"]["train"].dtype == np.int32


def test_scan_reports_bad_names_duplicates_and_unsafe_zip_members(tmp_path):
    src = real_path("ntu", "skeletons", "S001C001P001R001A011.skeleton")
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(src, folder / src.name)
    (folder / "notes.skeleton").write_text("x")
    with zipfile.ZipFile(folder / "more.zip", "w") as zf:
        zf.write(src, f"nturgb+d_skeletons/{src.name}")  # duplicate of the folder copy
        zf.write(src, "../evil/S001C001P001R001A012.skeleton")
    scan = NTUSource([folder], "ntu60").scan()
    assert [r.name for r in scan.refs] == ["S001C001P001R001A011"]
    reasons = sorted(s.reason for s in scan.skipped)
    assert any("duplicate sample name" in r for r in reasons)
    assert any("unsafe path" in r for r in reasons)
    assert any("not of the form" in r for r in reasons)


def test_missing_raw_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="No NTU .skeleton files found under"):
        NTUSource([tmp_path], "ntu60").scan()


def test_first_mode_reads_every_coordinate_exactly():
    folder = real_path("ntu", "skeletons")
    source = NTUSource([folder], "ntu60", bodies="first")
    for ref in source.scan().refs:
        joints = source.read(ref)
        lines = ref.locator.path and open(ref.locator.path).read().split("\n")
        frames, pos = int(lines[0]), 1
        assert joints.shape == (frames, 2, 25, 3)
        for t in range(frames):
            nb = int(lines[pos])
            pos += 1
            for b in range(nb):
                pos += 2  # body info line, joint count line
                for j in range(25):
                    xyz = [np.float32(float(v)) for v in lines[pos].split()[:3]]
                    pos += 1
                    if b < 2:
                        assert joints[t, b, j].tolist() == xyz
            if nb < 2:
                assert not joints[t, nb:].any()
        assert pos == len(lines) - (lines[-1] == "")


def test_body_modes_agree_on_a_single_body_file():
    folder = real_path("ntu", "skeletons")
    ref = next(r for r in NTUSource([folder], "ntu60").scan().refs if r.name == "S001C001P001R001A011")
    parsed = parse_ntu_skeleton(open(ref.locator.path, "rb").read())
    assert parsed.bodies_per_frame.max() == 1
    outs = {m: NTUSource([folder], "ntu60", bodies=m).read(ref) for m in ("first", "energy", "tracked")}
    np.testing.assert_array_equal(outs["first"], outs["energy"])
    np.testing.assert_array_equal(outs["first"], outs["tracked"])


def test_broken_link_is_reported_not_fatal(tmp_path):
    src = real_path("ntu", "skeletons", "S001C001P001R001A011.skeleton")
    shutil.copy(src, tmp_path / src.name)
    (tmp_path / "S001C001P001R001A012.skeleton").symlink_to(tmp_path / "gone.skeleton")
    scan = NTUSource([tmp_path], "ntu60").scan()
    assert [r.name for r in scan.refs] == ["S001C001P001R001A011"]
    assert [(s.name, "unreadable" in s.reason) for s in scan.skipped] == [("S001C001P001R001A012", True)]
