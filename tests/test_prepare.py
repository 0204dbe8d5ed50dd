"""The prepare pipeline end to end: determinism, zip vs folder, line endings, bad input, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from realdata import real_path

from actionkit import open_store
from actionkit.prepare import PrepareError, prepare
from actionkit.sources.ntu import NTUSource
from actionkit.store.schema import JOURNAL_DIR
from actionkit.synthetic import format_skeleton_file, generate_ntu_dataset

VOLATILE = ("created",)


def assert_same_store(a_path: Path, b_path: Path, same_files: bool = True) -> None:
    """Arrays equal and attributes equal except the build time and the raw paths given.

    With ``same_files=False`` (inputs whose bytes differ, e.g. line endings), the raw
    files' fingerprint may differ too.
    """
    a, b = open_store(a_path), open_store(b_path)
    attrs_a, attrs_b = dict(a.attrs), dict(b.attrs)
    for attrs in (attrs_a, attrs_b):
        for key in VOLATILE:
            attrs.pop(key)
        volatile = ("raw",) if same_files else ("raw", "fingerprint")
        attrs["source"] = {k: v for k, v in attrs["source"].items() if k not in volatile}
        attrs["skipped"] = [{k: v for k, v in s.items() if k != "path"} for s in attrs["skipped"]]
    assert attrs_a == attrs_b
    assert a.samples.keys() == b.samples.keys()
    for key in a.samples:
        np.testing.assert_array_equal(a.samples[key], b.samples[key])
    assert a.splits.keys() == b.splits.keys()
    for protocol in a.splits:
        for part in a.splits[protocol]:
            np.testing.assert_array_equal(a.splits[protocol][part], b.splits[protocol][part])
    for name in a.stream_names:
        np.testing.assert_array_equal(a.load_stream(name), b.load_stream(name))


def real_copy(tmp_path: Path, newline: bytes = b"\r\n") -> Path:
    folder = tmp_path / f"raw{len(newline)}" / "nturgb+d_skeletons"
    folder.mkdir(parents=True)
    for f in sorted(real_path("ntu", "skeletons").glob("*.skeleton")):
        data = f.read_bytes()
        (folder / f.name).write_bytes(data if newline == b"\r\n" else data.replace(b"\r\n", newline))
    return folder


@pytest.mark.parametrize("bodies", ["tracked", "energy", "first"])
def test_zip_and_folder_give_identical_stores(tmp_path, bodies):
    folder = real_copy(tmp_path)
    archive = tmp_path / "nturgbd_skeletons_s001_to_s017.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f"nturgb+d_skeletons/{f.name}")
    a = prepare(NTUSource([folder], "ntu60", bodies=bodies), tmp_path / "a.zarr", workers=1)
    b = prepare(NTUSource([archive], "ntu60", bodies=bodies), tmp_path / "b.zarr", workers=2)
    assert a.samples == b.samples == 3 and not a.skipped
    assert_same_store(tmp_path / "a.zarr", tmp_path / "b.zarr")


def test_crlf_and_lf_files_give_identical_stores(tmp_path):
    prepare(NTUSource([real_copy(tmp_path)], "ntu60"), tmp_path / "crlf.zarr", workers=1)
    prepare(NTUSource([real_copy(tmp_path, b"\n")], "ntu60"), tmp_path / "lf.zarr", workers=1)
    assert_same_store(tmp_path / "crlf.zarr", tmp_path / "lf.zarr", same_files=False)


def test_first_mode_store_holds_the_file_values(tmp_path):
    folder = real_copy(tmp_path)
    prepare(NTUSource([folder], "ntu60", bodies="first"), tmp_path / "s.zarr", workers=1)
    store = open_store(tmp_path / "s.zarr")
    for i in range(len(store)):
        sample = store.sample(i)
        text = (folder / f"{sample['name']}.skeleton").read_text().split()
        assert sample["frames"] == int(text[0])
        # The first joint of the first body of frame 0 sits after: frames, bodies, 10 info fields, 25.
        assert sample["joint"][0, 0, 0].tolist() == [np.float32(float(v)) for v in text[13:16]]


def test_preparing_twice_gives_identical_arrays(tmp_path):
    raw = tmp_path / "raw"
    generate_ntu_dataset(raw, samples_per_class=2, seed=3)
    prepare(NTUSource([raw], "ntu60"), tmp_path / "a.zarr", workers=2)
    prepare(NTUSource([raw], "ntu60"), tmp_path / "b.zarr", workers=1)
    assert_same_store(tmp_path / "a.zarr", tmp_path / "b.zarr")


BAD_FILES = {
    "S001C001P001R001A001": (lambda good: good[: len(good) // 2], "truncated"),
    "S001C001P001R001A002": (lambda good: good.replace(b"\r\n25\r\n", b"\r\n24\r\n", 1), "joint count"),
    "S001C001P001R001A003": (lambda good: good.replace(b" 2\r\n", b" x2\r\n", 3), "non-numeric"),
    "S001C001P001R001A004": (lambda good: b"0\r\n", "frame count is 0"),
    "S001C001P001R001A005": (lambda good: b"", "empty"),
    "S001C001P001R001A006": (lambda good: good + b"1\r\n", "data after the last"),
}


def write_bad_dataset(raw: Path) -> None:
    raw.mkdir(parents=True)
    generate_ntu_dataset(raw, samples_per_class=1, seed=1, classes=[10, 23])
    good = sorted(raw.glob("*.skeleton"))[0].read_bytes()
    for name, (damage, _) in BAD_FILES.items():
        (raw / f"{name}.skeleton").write_bytes(damage(good))


def test_bad_files_are_skipped_with_path_and_reason(tmp_path):
    raw = tmp_path / "raw"
    write_bad_dataset(raw)
    report = prepare(NTUSource([raw], "ntu60"), tmp_path / "s.zarr", workers=2)
    by_name = {s.name: s for s in report.skipped}
    assert set(by_name) == set(BAD_FILES)
    for name, (_, reason) in BAD_FILES.items():
        assert reason in by_name[name].reason.lower(), by_name[name].reason
        assert by_name[name].path.endswith(f"{name}.skeleton")
    store = open_store(tmp_path / "s.zarr")
    assert len(store) == report.samples > 0
    assert {s["name"] for s in store.attrs["skipped"]} == set(BAD_FILES)
    assert store.attrs["counts"]["skipped"] == len(BAD_FILES)


def test_strict_makes_the_first_bad_file_fatal(tmp_path):
    raw = tmp_path / "raw"
    write_bad_dataset(raw)
    with pytest.raises(PrepareError, match=r"S001C001P001R001A001\.skeleton: .*truncated"):
        prepare(NTUSource([raw], "ntu60"), tmp_path / "s.zarr", workers=1, strict=True)


def test_non_finite_values_are_rejected(tmp_path):
    frames = [[{"id": 72057594037931648, "xyz": np.full((25, 3), 0.5)}]] * 3
    text = format_skeleton_file(frames)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "S001C001P001R001A001.skeleton").write_bytes(text.replace(b"0.5 ", b"nan ", 1))
    (raw / "S001C001P001R001A002.skeleton").write_bytes(text.replace(b"0.5 ", b"1e999 ", 1))
    report = prepare(NTUSource([raw], "ntu60"), tmp_path / "s.zarr", workers=1)
    assert report.samples == 0 and len(report.skipped) == 2
    assert all("finite" in s.reason or "non-numeric" in s.reason for s in report.skipped)


# The child prepares until a shard is committed to the journal, then announces it (the file
# "committed") and blocks in its next read; the test kills it there, so there is no race
# between the kill and the end of the prepare.
KILLABLE = """
import json, sys, time
from pathlib import Path
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.store.schema import JOURNAL_DIR

out, flag = Path(sys.argv[2]), Path(sys.argv[3])

class Blocking(NTUSource):
    def read(self, ref):
        state = out / JOURNAL_DIR / "state.json"
        if state.exists() and json.loads(state.read_text())["refs_done"] > 0:
            flag.write_text("1")
            while True:
                time.sleep(1)
        return super().read(ref)

prepare(Blocking([Path(sys.argv[1])], "ntu60"), out, workers=1, shard_frames=1024)
"""


def test_killed_prepare_resumes_to_an_identical_store(tmp_path):
    raw = tmp_path / "raw"
    generate_ntu_dataset(raw, samples_per_class=6, seed=5)
    prepare(NTUSource([raw], "ntu60"), tmp_path / "ref.zarr", workers=1, shard_frames=1024)

    out, flag = tmp_path / "cut.zarr", tmp_path / "committed"
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(raw), str(out), str(flag)])
    try:
        deadline = time.monotonic() + 300  # a hang guard only: the child blocks until killed
        while not flag.exists():
            assert proc.poll() is None, "the prepare ended before it committed a shard and blocked"
            assert time.monotonic() < deadline, "the prepare committed no shard in 300 s"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    done = json.loads((out / JOURNAL_DIR / "state.json").read_text())["refs_done"]
    assert 0 < done < len(NTUSource([raw], "ntu60").scan().refs)

    with pytest.warns(UserWarning, match=f"took over a stale lock left by process {proc.pid}"):  # the killed one's
        report = prepare(NTUSource([raw], "ntu60"), out, workers=2, shard_frames=1024)
    assert report.resumed_from == done
    assert_same_store(tmp_path / "ref.zarr", out)


def test_limit_and_existing_store(tmp_path):
    raw = tmp_path / "raw"
    generate_ntu_dataset(raw, samples_per_class=1, seed=2)
    report = prepare(NTUSource([raw], "ntu60"), tmp_path / "s.zarr", workers=1, limit=4)
    assert report.samples == 4
    from actionkit.store.errors import StoreExistsError

    with pytest.raises(StoreExistsError):
        prepare(NTUSource([raw], "ntu60"), tmp_path / "s.zarr", workers=1)
    shutil.rmtree(tmp_path / "s.zarr")


def test_notes_on_stored_samples_reach_the_report_and_attributes(tmp_path):
    """Two short tracks: the tracked mode's length filter would drop both, so it keeps the longer."""
    rng = np.random.default_rng(0)
    a = [{"id": 72057594037931001, "xyz": rng.normal(size=(25, 3)) * [0.1, 0.5, 0.1] + [0, 0, 3]} for _ in range(6)]
    b = [{"id": 72057594037931002, "xyz": rng.normal(size=(25, 3)) * [0.1, 0.5, 0.1] + [0, 0, 3]} for _ in range(4)]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "S001C001P001R001A001.skeleton").write_bytes(format_skeleton_file([[x] for x in a] + [[x] for x in b]))
    report = prepare(NTUSource([raw], "ntu60"), tmp_path / "s.zarr", workers=1)
    assert report.samples == 1 and len(report.notes) == 1
    store = open_store(tmp_path / "s.zarr")
    assert store.sample(0)["frames"] == 6
    assert store.attrs["notes"][0]["name"] == "S001C001P001R001A001"
    assert store.attrs["counts"]["notes"] == 1


def test_full_real_nwucla_set_end_to_end(tmp_path):
    from actionkit.sources.nwucla import NWUCLASource
    from actionkit.store.inspect import verify_store

    raw = real_path("nw_ucla", "all_sqe")
    report = prepare(NWUCLASource([raw]), tmp_path / "nwucla.zarr", workers=2)
    assert report.samples == 1484 and not report.skipped
    assert report.splits == {"xview": {"train": 1020, "test": 464}}
    store = open_store(tmp_path / "nwucla.zarr")
    assert store.stream("joint").shape[1:] == (1, 20, 3)
    views = store.samples["view"]
    assert [int((views == v).sum()) for v in (1, 2, 3)] == [516, 504, 464]
    assert 1 <= store.samples["frames"].min() and store.samples["frames"].max() == 201
    first = store.sample(0)
    raw_first = json.loads((raw / f"{first['name']}.json").read_text())
    np.testing.assert_array_equal(first["joint"][:, 0], np.asarray(raw_first["skeletons"], dtype=np.float32))
    assert verify_store(tmp_path / "nwucla.zarr").ok


def test_real_pkummd_sequence_end_to_end(tmp_path):
    from actionkit.sources.pkummd import PKUMMD2Source

    seq = real_path("pku_mmd", "A10N08-L.txt")
    raw = tmp_path / "pku"
    (raw / "PKU_Skeleton_Renew").mkdir(parents=True)
    (raw / "Train_Label_PKU_final").mkdir()
    shutil.copy(seq, raw / "PKU_Skeleton_Renew" / seq.name)
    frames = len(seq.read_text().splitlines())
    labels = [(5, 1, 60, 1), (12, 100, 230, 2), (41, 1000, frames + 25, 1)]  # the last runs past the end
    (raw / "Train_Label_PKU_final" / seq.name).write_text("".join(f"{a},{s},{e},{c}\n" for a, s, e, c in labels))
    for fname in ("cross_subject_v2.txt", "cross_view_v2.txt"):
        (raw / fname).write_text("Training videos: \nA10N08-L, A01N01-M\nValidataion videos: \nA02N01-R\n")

    report = prepare(PKUMMD2Source([raw]), tmp_path / "pku.zarr", workers=1, streams=("joint",))
    assert report.samples == 3 and not report.skipped
    assert len(report.notes) == 1 and "A10N08-L_002" == report.notes[0].name
    store = open_store(tmp_path / "pku.zarr")
    assert store.samples["label"].tolist() == [4, 11, 40]
    assert store.samples["frames"].tolist() == [60, 131, frames - 999]
    assert store.split("xsub", "train").tolist() == [0, 1, 2] and len(store.split("xview", "test")) == 0
    # Label frames are 1-based inclusive by default: clip 1 starts at the file's line 100.
    line = np.array(seq.read_text().splitlines()[99].split(), dtype=np.float64).astype(np.float32)
    present = store.sample(1)["joint"][0]
    np.testing.assert_array_equal(present[0], line[:75].reshape(25, 3))
