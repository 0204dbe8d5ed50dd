"""PKU-MMD sources: files found by content, clips cut by label lines, splits, bad input, real data."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from realdata import real_path

from actionkit.sources import pkummd
from actionkit.sources.base import SampleError
from actionkit.sources.pkummd import (
    PKUMMD_CLASSES,
    ClipTruncatedWarning,
    PKUMMD1Source,
    PKUMMD2Source,
    parse_sequence,
    parse_split_text,
)

# ----------------------------------------------------------------------------- fixtures


def sequence_text(values: np.ndarray) -> str:
    """A skeleton file as the genuine phase-2 files are written: ``%.6f``, single spaces,
    every line after the first beginning with one space, LF endings."""
    lines = [" ".join(f"{v:.6f}" for v in row) for row in values]
    return "\n ".join(lines) + "\n"


def split_text(train: list[str], test: list[str]) -> str:
    """A split file in the genuine layout (with the dataset's own spelling 'Validataion')."""
    return f"Training videos: \n{', '.join(train)}, \nValidataion videos: \n{', '.join(test)}, \n"


def make_sequence(frames: int, seed: int, second_body: slice | None = None) -> np.ndarray:
    """float64 ``[frames, 150]`` rounded to 6 decimals; body 2 only in ``second_body`` frames.

    Bodies are upright (narrow in x, tall in y) so that no body selection mode takes them
    for Kinect noise.
    """
    rng = np.random.default_rng(seed)
    low, high = np.array([-0.3, -0.9, 2.5]), np.array([0.3, 0.9, 3.0])
    seq = rng.uniform(low, high, size=(frames, 2, 25, 3))
    seq[:, 1, :, 0] += 1.0
    seq = np.round(seq.reshape(frames, 150), 6)
    keep = np.zeros(frames, dtype=bool)
    if second_body is not None:
        keep[second_body] = True
    seq[~keep, 75:] = 0.0
    return seq


SEQUENCES = {
    "A01N01-L": (make_sequence(30, 1, slice(5, 25)), "3,1,10,1\n12,11,30,2\n"),
    "A01N01-M": (make_sequence(20, 2), "41,2,8,1\n"),
    "A02N02-R": (make_sequence(25, 3), "7,1,25,2\n8,5,9,1\n"),
}


def write_raw(root: Path, sequences=SEQUENCES, splits: bool = True) -> Path:
    """A phase-2 copy: skeletons, labels and split files in folders with unusual names."""
    (root / "skeleton_data").mkdir(parents=True)
    (root / "labels v2").mkdir()
    for name, (values, labels) in sequences.items():
        (root / "skeleton_data" / f"{name}.txt").write_text(sequence_text(values))
        (root / "labels v2" / f"{name}.txt").write_text(labels)
    (root / "README.txt").write_text("PKU-MMD phase 2\n")
    if splits:
        (root / "cross_subject_v2.txt").write_text(split_text(["A01N01-L", "A01N01-M"], ["A02N02-R"]))
        (root / "cross_view_v2.txt").write_text(split_text(["A01N01-M", "A02N02-R"], ["A01N01-L"]))
    return root


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, Path("PKUMMDv2") / path.relative_to(folder))
    return archive


# ----------------------------------------------------------------------------- scanning


def test_class_names_are_the_51_actions_in_id_order():
    assert len(PKUMMD_CLASSES) == 51 and len(set(PKUMMD_CLASSES)) == 51
    assert PKUMMD_CLASSES[0] == "bow" and PKUMMD_CLASSES[-1] == "writing"
    # the two-person actions sit at ids 12 14 16 18 21 24 26 27
    two_person = [PKUMMD_CLASSES[i - 1] for i in (12, 14, 16, 18, 21, 24, 26, 27)]
    assert all("other person" in name or name == "handshaking" for name in two_person)


def test_scan_finds_files_by_content_and_names_clips(tmp_path):
    source = PKUMMD2Source(write_raw(tmp_path / "raw"))
    scan = source.scan()
    assert [r.name for r in scan.refs] == [
        "A01N01-L_000", "A01N01-L_001", "A01N01-M_000", "A02N02-R_000", "A02N02-R_001"]
    assert [r.label for r in scan.refs] == [2, 11, 40, 6, 7]
    assert scan.refs[1].ids == {"view": 1, "confidence": 2, "start_frame": 10, "end_frame": 30}
    assert [r.ids["view"] for r in scan.refs] == [1, 1, 2, 3, 3]
    # every raw file is accounted for: the README is listed, with why it was not used
    assert [(s.name, s.reason.split(" (")[0]) for s in scan.skipped] == [("README", "name does not match a sequence")]
    assert scan.excluded == {} and source.warnings == []
    assert scan.files == 9 and len(scan.fingerprint) == 16
    assert source.options() == {"label_frame_base": 1, "bodies": "tracked"}
    assert source.classes == PKUMMD_CLASSES and source.layout.name == "ntu25" and source.max_bodies == 2


@pytest.mark.parametrize("base, expected", [(1, slice(0, 10)), (0, slice(1, 10))])
def test_frame_base_slices_the_sequence(tmp_path, base, expected):
    source = PKUMMD2Source(write_raw(tmp_path / "raw"), label_frame_base=base, bodies="first")
    ref = source.scan().refs[0]  # label line 3,1,10,1
    assert (ref.ids["start_frame"], ref.ids["end_frame"]) == (expected.start, expected.stop)
    joints = source.read(ref)
    seq = SEQUENCES["A01N01-L"][0]
    assert joints.dtype == np.float32 and joints.shape == (expected.stop - expected.start, 2, 25, 3)
    np.testing.assert_array_equal(joints.reshape(len(joints), 150), seq[expected].astype(np.float32))
    assert source.options()["label_frame_base"] == base


def test_absent_second_body_is_zeros_and_every_mode_keeps_both_bodies(tmp_path):
    raw = write_raw(tmp_path / "raw")
    seq = SEQUENCES["A01N01-L"][0]
    for mode in ("first", "energy", "tracked"):
        source = PKUMMD2Source(raw, bodies=mode)
        joints = source.read(source.scan().refs[1])  # frames 10..29; body 2 in 10..24
        assert joints.shape == (20, 2, 25, 3)
        present = np.any(joints != 0, axis=(2, 3))
        assert present.sum() == 20 + 15
        bodies = {tuple(np.round(j, 5).ravel()) for j in joints[0]}
        assert bodies == {tuple(np.round(seq[10, :75].astype(np.float32), 5)),
                          tuple(np.round(seq[10, 75:].astype(np.float32), 5))}
    first = PKUMMD2Source(raw, bodies="first").read(source.scan().refs[1])
    np.testing.assert_array_equal(first[15:, 1], 0.0)
    with pytest.raises(ValueError, match="unknown body mode"):
        PKUMMD2Source(raw, bodies="biggest")


def test_sequence_file_is_parsed_once_per_process(tmp_path, monkeypatch):
    source = PKUMMD2Source(write_raw(tmp_path / "raw"))
    calls = []
    real = pkummd.parse_sequence
    monkeypatch.setattr(pkummd, "parse_sequence", lambda data: calls.append(1) or real(data))
    pkummd._sequence_cache.clear()
    for ref in source.scan().refs:
        source.read(ref)
    assert len(calls) == 3


def test_zip_gives_identical_samples(tmp_path):
    folder = write_raw(tmp_path / "raw")
    archive = zip_folder(folder, tmp_path / "pkummd2.zip")
    a, b = PKUMMD2Source([folder]), PKUMMD2Source([archive])
    scan_a, scan_b = a.scan(), b.scan()
    assert [(r.name, r.label, r.ids) for r in scan_a.refs] == [(r.name, r.label, r.ids) for r in scan_b.refs]
    assert scan_a.fingerprint == scan_b.fingerprint
    assert scan_b.refs[0].display.startswith(str(archive) + "::")
    for ra, rb in zip(scan_a.refs, scan_b.refs):
        np.testing.assert_array_equal(a.read(ra), b.read(rb))
    names = np.array([r.name for r in scan_a.refs])
    sa, sb = a.splits(names, {}), b.splits(names, {})
    assert {p: {k: v.tolist() for k, v in d.items()} for p, d in sa.items()} == \
        {p: {k: v.tolist() for k, v in d.items()} for p, d in sb.items()}


def test_phases_share_a_folder_without_mixing(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "skeleton_data" / "0002-L.txt").write_text(sequence_text(make_sequence(12, 9)))
    (raw / "labels v2" / "0002-L.txt").write_text("1,1,12,1\n")
    (raw / "cross-subject.txt").write_text(split_text(["0002-L"], []))
    (raw / "cross-view.txt").write_text(split_text([], ["0002-L"]))
    one, two = PKUMMD1Source(raw), PKUMMD2Source(raw)
    scan1 = one.scan()
    assert [r.name for r in scan1.refs] == ["0002-L_000"] and one.warnings == []
    assert one.splits(np.array(["0002-L_000"]), {})["xview"]["test"].tolist() == [0]
    assert len(two.scan().refs) == 5 and two.warnings == []


# ----------------------------------------------------------------------------- splits


def test_split_file_parsing_tolerates_the_genuine_quirks():
    text = "Training videos: \nA01N01-L, A01N01-M,\t\n\nValidataion videos: \nA02N02-R, A03N03-L , \n"
    assert parse_split_text(text) == {"train": {"A01N01-L", "A01N01-M"}, "test": {"A02N02-R", "A03N03-L"}}
    assert parse_split_text("Training videos: a, b\nValidation videos: c")["test"] == {"c"}
    with pytest.raises(ValueError, match="Validataion"):
        parse_split_text("Training videos: \nA01N01-L, \n")


def test_splits_from_split_files_and_unlisted_sequences_counted(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "cross_view_v2.txt").write_text(split_text(["A01N01-M"], ["A01N01-L", "A01N01-M"]))
    source = PKUMMD2Source(raw)
    scan = source.scan()
    names = np.array([r.name for r in scan.refs])
    splits = source.splits(names, {})
    assert splits["xsub"]["train"].tolist() == [0, 1, 2] and splits["xsub"]["test"].tolist() == [3, 4]
    assert splits["xsub"]["train"].dtype == np.int32
    assert splits["xview"]["train"].tolist() == [] and splits["xview"]["test"].tolist() == [0, 1]
    assert scan.excluded == {"xview: sequence listed in neither of train and test": 2,
                             "xview: sequence listed in both of train and test": 1}


def test_missing_split_files_give_no_splits_and_a_warning(tmp_path):
    source = PKUMMD2Source(write_raw(tmp_path / "raw", splits=False))
    scan = source.scan()
    assert len(scan.refs) == 5
    assert source.splits(np.array([r.name for r in scan.refs]), {}) == {}
    assert len(source.warnings) == 2 and "no xsub split file found" in source.warnings[0]


# ----------------------------------------------------------------------------- bad input


def test_clip_past_the_sequence_end_is_cut_and_reported(tmp_path):
    raw = write_raw(tmp_path / "raw", {"A01N01-L": (make_sequence(30, 1), "3,21,45,1\n3,31,40,1\n")})
    source = PKUMMD2Source(raw, bodies="first")
    long_clip, empty_clip = source.scan().refs
    with pytest.warns(ClipTruncatedWarning, match="A01N01-L_000: label ends at frame 45, the sequence has 30"):
        joints = source.read(long_clip)
    assert joints.shape[0] == 10 and long_clip.ids["end_frame"] == 45
    with pytest.raises(SampleError, match="empty clip"):
        source.read(empty_clip)


def test_bad_label_lines_are_skipped_with_reasons(tmp_path):
    labels = "3,1,10,1\n3,1,10\n3;1;10;1\n0,1,10,1\n52,1,10,1\n3,0,10,1\n3,10,5,1\n\n4,2,6,1,\n"
    raw = write_raw(tmp_path / "raw", {"A01N01-L": (make_sequence(30, 1), labels)})
    scan = PKUMMD2Source(raw).scan()
    assert [r.name for r in scan.refs] == ["A01N01-L_000", "A01N01-L_007"]
    reasons = {s.name: s.reason for s in scan.skipped}
    assert "line 2" in reasons["A01N01-L_001"] and "four comma-separated integers" in reasons["A01N01-L_001"]
    assert "line 3" in reasons["A01N01-L_002"]
    assert "action id 0 outside 1-51" in reasons["A01N01-L_003"]
    assert "action id 52" in reasons["A01N01-L_004"]
    assert "start frame 0 below the frame base 1" in reasons["A01N01-L_005"]
    assert "frames 10-5 are an empty range" in reasons["A01N01-L_006"]
    assert all(s.path.endswith("A01N01-L.txt") for s in scan.skipped if s.name != "README")


def test_unmatched_and_unrecognised_files_are_reported(tmp_path):
    raw = write_raw(tmp_path / "raw")
    (raw / "labels v2" / "A09N09-R.txt").write_text("1,1,5,1\n")
    (raw / "skeleton_data" / "A08N08-L.txt").write_text(sequence_text(make_sequence(5, 4)))
    (raw / "skeleton_data" / "A07N07-M.txt").write_text("1 2 3\n")
    (raw / "labels v2" / "A07N07-M.txt").write_text("\ufeff1,1,5,1\n")  # with a byte-order mark
    reasons = {s.name: s.reason for s in PKUMMD2Source(raw).scan().skipped}
    assert reasons["A09N09-R_000"] == "no skeleton file for sequence A09N09-R"
    assert "without a label file" in reasons["A08N08-L"]
    assert "neither a skeleton file" in reasons["A07N07-M"]
    assert "a file of that name is neither" in reasons["A07N07-M_000"]


@pytest.mark.parametrize("edit, reason", [
    (lambda lines: lines.__setitem__(2, lines[2].rsplit(" ", 1)[0]), "line 3: 149 values, expected 150"),
    (lambda lines: lines.__setitem__(3, lines[3].replace(" ", " abc ", 1)), "line 4: 151 values"),
    (lambda lines: lines.__setitem__(3, lines[3].replace(lines[3].split()[5], "1.2.3", 1)),
     "line 4: non-numeric value '1.2.3'"),
    (lambda lines: lines.__setitem__(4, lines[4].replace(lines[4].split()[0], "nan", 1)), "line 5: non-finite"),
    (lambda lines: lines.__setitem__(5, lines[5].replace(lines[5].split()[7], "inf", 1)), "line 6: non-finite"),
])
def test_malformed_skeleton_lines_raise_sample_error_naming_the_line(tmp_path, edit, reason):
    lines = sequence_text(make_sequence(10, 5)).split("\n")
    edit(lines)
    raw = write_raw(tmp_path / "raw", {"A01N01-L": (make_sequence(10, 5), "1,1,5,1\n")})
    (raw / "skeleton_data" / "A01N01-L.txt").write_text("\n".join(lines))
    source = PKUMMD2Source(raw)
    pkummd._sequence_cache.clear()
    with pytest.raises(SampleError, match=reason):
        source.read(source.scan().refs[0])


def test_zero_frames_and_bodyless_clips_raise_sample_error(tmp_path):
    with pytest.raises(SampleError, match="zero frames"):
        parse_sequence(b"\n \n")
    seq = make_sequence(10, 6)
    seq[2:6] = 0.0
    raw = write_raw(tmp_path / "raw", {"A01N01-L": (seq, "1,3,6,1\n")})
    source = PKUMMD2Source(raw)
    pkummd._sequence_cache.clear()
    with pytest.raises(SampleError, match="no body in clip"):
        source.read(source.scan().refs[0])


def test_constructor_errors_say_where_they_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*--raw"):
        PKUMMD2Source(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"PKU-MMD phase 1: no file is named like a sequence.*0002-L\.txt"):
        PKUMMD1Source(tmp_path / "empty")
    with pytest.raises(ValueError, match="label_frame_base"):
        PKUMMD2Source(write_raw(tmp_path / "raw"), label_frame_base=2)


# ----------------------------------------------------------------------------- real data


@pytest.fixture
def real_copy(tmp_path):
    """The genuine sequence A10N08-L with a label file and split files written for it."""
    raw = tmp_path / "raw"
    (raw / "PKU_Skeleton_Renew").mkdir(parents=True)
    (raw / "Label").mkdir()
    shutil.copy(real_path("pku_mmd", "A10N08-L.txt"), raw / "PKU_Skeleton_Renew" / "A10N08-L.txt")
    (raw / "Label" / "A10N08-L.txt").write_text("3,1,120,1\n14,300,520,2\n41,1001,1040,1\n")
    (raw / "cross_subject_v2.txt").write_text(split_text(["A01N01-L", "A10N08-L"], ["A02N02-M"]))
    (raw / "cross_view_v2.txt").write_text(split_text(["A01N01-M"], ["A10N08-L", "A02N02-L"]))
    return raw


@pytest.mark.parametrize("base", [1, 0])
def test_real_sequence_frames_and_values(real_copy, base):
    values = np.loadtxt(real_copy / "PKU_Skeleton_Renew" / "A10N08-L.txt", dtype=np.float64)
    assert values.shape == (1040, 150)
    source = PKUMMD2Source(real_copy, label_frame_base=base, bodies="first")
    scan = source.scan()
    assert [r.name for r in scan.refs] == ["A10N08-L_000", "A10N08-L_001", "A10N08-L_002"]
    assert [r.label for r in scan.refs] == [2, 13, 40] and scan.skipped == []
    for ref, (start, end) in zip(scan.refs, [(1, 120), (300, 520), (1001, 1040)]):
        first = start - base
        assert (ref.ids["start_frame"], ref.ids["end_frame"]) == (first, end)
        joints = source.read(ref)
        expected = values[first:end].astype(np.float32).reshape(-1, 2, 25, 3)
        np.testing.assert_array_equal(joints, expected)
        # in this sequence the second body enters at frame 312 (0-based) and stays
        absent = ~np.any(values[first:end, 75:] != 0, axis=1)
        assert absent.sum() == max(0, min(end, 312) - first)
        np.testing.assert_array_equal(joints[absent, 1], 0.0)
        assert np.any(joints[~absent, 1] != 0, axis=(1, 2)).all()


def test_real_sequence_splits_and_tracked_mode(real_copy):
    source = PKUMMD2Source(real_copy)
    scan = source.scan()
    splits = source.splits(np.array([r.name for r in scan.refs]), {})
    assert splits["xsub"]["train"].tolist() == [0, 1, 2] and splits["xsub"]["test"].tolist() == []
    assert splits["xview"]["test"].tolist() == [0, 1, 2]
    for ref in scan.refs:
        joints = source.read(ref)
        assert joints.shape == (ref.ids["end_frame"] - ref.ids["start_frame"], 2, 25, 3)
        assert np.isfinite(joints).all() and np.any(joints[:, 0] != 0, axis=(1, 2)).all()
