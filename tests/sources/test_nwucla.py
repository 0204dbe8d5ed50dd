"""NW-UCLA source: the full real JSON set, the original per-frame layout, zips, bad input."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from realdata import real_path

from actionkit.sources.base import SampleError
from actionkit.sources.nwucla import ACTIONS, NWUCLA_CLASSES, NWUCLASource

# ----------------------------------------------------------------------------- fixtures


def json_clip(name: str, frames: np.ndarray | list, label: int | None = None) -> str:
    """A clip in the JSON release's form (label 1..10 derived from the name unless given)."""
    if label is None:
        label = ACTIONS.index(int(name[1:3])) + 1
    skeletons = frames.tolist() if isinstance(frames, np.ndarray) else frames
    return json.dumps({"file_name": name, "skeletons": skeletons, "label": label})


def frame_file(joints: np.ndarray, extra_skeleton: bool = False) -> str:
    """A ``_skeletons.txt`` file: a header line, then rows ``x,y,z,confidence``.

    With ``extra_skeleton``, another (different) skeleton comes first; the last 20 rows are
    the ones that count.
    """
    rows = [f"{x!r},{y!r},{z!r},1" for x, y, z in joints.tolist()]
    if extra_skeleton:
        rows = [f"{x + 5.0!r},{y!r},{z!r},0" for x, y, z in joints.tolist()] + rows
    return "2\n" + "\n".join(rows) + "\n"


def write_original(root: Path, name: str, frames: np.ndarray, numbers: list[int]) -> Path:
    """One clip in the original ``multiview_action/view_N/aXX_sYY_eZZ/`` layout."""
    view = int(name[-2:])
    folder = root / "multiview_action" / f"view_{view}" / name[:-4]
    folder.mkdir(parents=True)
    for i, (n, joints) in enumerate(zip(numbers, frames)):
        text = frame_file(joints, extra_skeleton=(i == 1))
        (folder / f"frame_{n}_tc_{1000 + 33 * n}_skeletons.txt").write_text(text)
        (folder / f"frame_{n}_tc_{1000 + 33 * n}_rgb.jpg").write_bytes(b"\xff\xd8")
    # a frame whose skeleton file holds no joint row: absent
    (folder / f"frame_{max(numbers) + 3}_tc_99_skeletons.txt").write_text("0\n")
    return folder


def small_set(root: Path) -> Path:
    """Four JSON clips: views 1, 2, 3 and a second subject."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    for name, t in [("a01_s01_e00_v01", 3), ("a12_s02_e01_v02", 5), ("a06_s01_e00_v03", 1), ("a08_s10_e04_v01", 4)]:
        (root / f"{name}.json").write_text(json_clip(name, np.round(rng.normal(size=(t, 20, 3)), 6)))
    return root


# ----------------------------------------------------------------------------- real data


def test_full_real_set():
    folder = real_path("nw_ucla", "all_sqe")
    source = NWUCLASource(folder)
    scan = source.scan()
    assert len(scan.refs) == 1484 and scan.skipped == [] and scan.excluded == {}
    names = np.array([r.name for r in scan.refs])
    assert list(names) == sorted(names)
    assert Counter(n[-3:] for n in names) == {"v01": 516, "v02": 504, "v03": 464}
    ids = {k: np.array([r.ids[k] for r in scan.refs]) for k in source.id_fields}
    splits = source.splits(names, ids)
    assert (len(splits["xview"]["train"]), len(splits["xview"]["test"])) == (1020, 464)
    assert set(names[splits["xview"]["test"]]) == {n for n in names if n.endswith("v03")}
    frames = []
    for ref in scan.refs:
        assert ref.label == ACTIONS.index(int(ref.name[1:3]))
        assert ref.ids == {"view": int(ref.name[-2:]), "subject": int(ref.name[5:7]), "episode": int(ref.name[9:11])}
        joints = source.read(ref)  # also checks the file's own label against the name
        assert joints.dtype == np.float32 and joints.shape[1:] == (1, 20, 3)
        frames.append(len(joints))
    assert (min(frames), max(frames)) == (1, 201)
    assert Counter(r.label for r in scan.refs) == {0: 150, 1: 152, 2: 141, 3: 173, 4: 148, 5: 149, 6: 142,
                                                   7: 142, 8: 145, 9: 142}
    first = json.loads((folder / "a01_s01_e00_v01.json").read_text())
    np.testing.assert_array_equal(source.read(scan.refs[0])[:, 0],
                                  np.asarray(first["skeletons"], dtype=np.float64).astype(np.float32))


def test_original_layout_gives_the_same_sample_as_the_json(tmp_path):
    name = "a03_s02_e01_v02"
    shutil.copy(real_path("nw_ucla", "all_sqe", f"{name}.json"), tmp_path / f"{name}.json")
    frames = np.asarray(json.loads((tmp_path / f"{name}.json").read_text())["skeletons"], dtype=np.float64)
    assert len(frames) > 11
    # unpadded frame numbers with gaps (frames without a skeleton file): 1 2 3 5 6 ... 9 10 11 ...
    numbers = [n for n in range(1, 2 * len(frames)) if n != 4][: len(frames)]
    write_original(tmp_path / "orig", name, frames, numbers)
    from_json = NWUCLASource(tmp_path / f"{name}.json")
    from_txt = NWUCLASource(tmp_path / "orig")
    (ref_json,), (ref_txt,) = from_json.scan().refs, from_txt.scan().refs
    assert (ref_txt.name, ref_txt.label, ref_txt.ids) == (ref_json.name, ref_json.label, ref_json.ids)
    assert ref_txt.ids == {"view": 2, "subject": 2, "episode": 1}
    np.testing.assert_array_equal(from_txt.read(ref_txt), from_json.read(ref_json))


# ----------------------------------------------------------------------------- scanning


def test_scan_labels_ids_and_zip_variant(tmp_path):
    folder = small_set(tmp_path / "all_sqe")
    archive = tmp_path / "nwucla.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"all_sqe/{path.name}")
    a, b = NWUCLASource(folder), NWUCLASource([archive])
    scan_a, scan_b = a.scan(), b.scan()
    assert [r.name for r in scan_a.refs] == ["a01_s01_e00_v01", "a06_s01_e00_v03", "a08_s10_e04_v01",
                                             "a12_s02_e01_v02"]
    assert [r.label for r in scan_a.refs] == [0, 5, 6, 9]
    assert [NWUCLA_CLASSES[r.label] for r in scan_a.refs] == ["pick up with one hand", "stand up", "donning", "carry"]
    assert scan_a.refs[2].ids == {"view": 1, "subject": 10, "episode": 4}
    assert [(r.name, r.label, r.ids) for r in scan_a.refs] == [(r.name, r.label, r.ids) for r in scan_b.refs]
    assert scan_a.fingerprint == scan_b.fingerprint
    for ra, rb in zip(scan_a.refs, scan_b.refs):
        np.testing.assert_array_equal(a.read(ra), b.read(rb))
    ids = {"view": np.array([r.ids["view"] for r in scan_a.refs])}
    splits = a.splits(np.array([r.name for r in scan_a.refs]), ids)
    assert splits["xview"]["train"].tolist() == [0, 2, 3] and splits["xview"]["test"].tolist() == [1]
    assert a.layout.name == "kinect_v1_20" and a.max_bodies == 1 and a.dataset == "nwucla"


def test_unknown_actions_views_and_duplicates_are_reported(tmp_path):
    folder = small_set(tmp_path / "all_sqe")
    one = np.zeros((1, 20, 3)) + 0.5
    (folder / "a07_s01_e00_v01.json").write_text(json_clip("a07_s01_e00_v01", one, label=1))
    (folder / "a01_s01_e00_v04.json").write_text(json_clip("a01_s01_e00_v04", one))
    (folder / "notes.json").write_text("{}")
    write_original(tmp_path / "orig", "a01_s01_e00_v01", one, [1])
    write_original(tmp_path / "orig", "a02_s01_e00_v01", one, [1])
    write_original(tmp_path / "copy", "a02_s01_e00_v01", one, [1])
    scan = NWUCLASource([folder, tmp_path / "orig", tmp_path / "copy"]).scan()
    assert len(scan.refs) == 5
    assert NWUCLASource(tmp_path / "orig").read(scan.refs[1]).shape == (1, 1, 20, 3)  # not merged copies
    reasons = {s.name: s.reason for s in scan.skipped}
    assert "duplicate clip" in reasons["a02_s01_e00_v01"] and "copy" in reasons["a02_s01_e00_v01"]
    assert "action a07 is not one of the 10" in reasons["a07_s01_e00_v01"]
    assert "view 4 is not one of the 3" in reasons["a01_s01_e00_v04"]
    assert reasons["a01_s01_e00_v01"].startswith("duplicate clip (using ")
    assert [r.locator.form for r in scan.refs if r.name == "a01_s01_e00_v01"] == ["json"]


def test_constructor_errors_say_where_they_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="NW-UCLA: .*does not exist.*--raw"):
        NWUCLASource(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no clip file found.*all_sqe"):
        NWUCLASource(tmp_path / "empty")


# ----------------------------------------------------------------------------- bad input

GOOD = [[[0.1, 0.2, 3.0]] * 20] * 2


@pytest.mark.parametrize("text, reason", [
    ('{"file_name": "a01_s01_e00_v01", "skeletons": [[[0.1, 0.2', "unreadable JSON"),
    (b"\xff\xfe{}", "unreadable JSON"),
    ('{"file_name": "a01_s01_e00_v01", "label": 1}', "no 'skeletons' field"),
    (json_clip("a01_s01_e00_v01", []), "zero frames"),
    (json_clip("a01_s01_e00_v01", [[[0.1, 0.2, 3.0]] * 19]), "frame 0: 19 joints, expected 20"),
    (json_clip("a01_s01_e00_v01", [GOOD[0], [[0.1, 0.2]] + GOOD[0][1:]]), "frame 1 joint 0: expected 3 coordinates"),
    (json_clip("a01_s01_e00_v01", [[[0.1, "x", 3.0]] * 20]), "frame 0 joint 0: non-numeric"),
    (json_clip("a01_s01_e00_v01", GOOD).replace("3.0]]]", "NaN]]]"), "frame 1: non-finite"),
    (json_clip("a01_s01_e00_v01", GOOD, label=2), "label 2 disagrees with the name a01_s01_e00_v01"),
    (json_clip("a01_s01_e00_v01", GOOD).replace('"a01_s01_e00_v01"', '"a01_s01_e00_v02"'), "file_name"),
])
def test_bad_json_raises_sample_error(tmp_path, text, reason):
    path = tmp_path / "a01_s01_e00_v01.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    source = NWUCLASource(tmp_path)
    with pytest.raises(SampleError, match=reason):
        source.read(source.scan().refs[0])


@pytest.mark.parametrize("body, reason", [
    ("2\n" + "0.1,0.2,3.0,1\n" * 19, "19 joint rows, expected a multiple of 20"),
    ("2\n" + "0.1,0.2,3.0,1\n" * 19 + "0.1,abc,3.0,1\n", "line 21: non-numeric"),
    ("2\n" + "0.1,0.2,3.0,1\n" * 19 + "0.1,0.2\n", "line 21: 2 values, expected x,y,z,confidence"),
    ("2\n" + "0.1,0.2,3.0,1\n" * 19 + "0.1,inf,3.0,1\n", "line 21: non-finite"),
    ("0\n", "zero frames"),
])
def test_bad_frame_files_raise_sample_error(tmp_path, body, reason):
    folder = tmp_path / "multiview_action" / "view_1" / "a01_s01_e00"
    folder.mkdir(parents=True)
    (folder / "frame_1_tc_100_skeletons.txt").write_text(body)
    source = NWUCLASource(tmp_path)
    with pytest.raises(SampleError, match=reason):
        source.read(source.scan().refs[0])


def test_misplaced_frame_files_are_reported(tmp_path):
    folder = tmp_path / "somewhere" / "a01_s01_e00"
    folder.mkdir(parents=True)
    (folder / "frame_1_tc_100_skeletons.txt").write_text("0\n")
    (tmp_path / "a02_s01_e00_v01.json").write_text(json_clip("a02_s01_e00_v01", GOOD))
    scan = NWUCLASource(tmp_path).scan()
    assert [r.name for r in scan.refs] == ["a02_s01_e00_v01"]
    assert "inside view_N/aXX_sYY_eZZ/" in scan.skipped[0].reason
