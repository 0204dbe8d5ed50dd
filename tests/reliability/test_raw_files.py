"""Every raw file is accounted for, every skipped file is shown, a bad archive is one error line.
Built from the genuine NW-UCLA JSON clips."""

from __future__ import annotations

import shutil
import zipfile

from clirun import cli, one_error_line
from realdata import real_path

from actionkit.sources.nwucla import NWUCLASource

CLIPS = ["a01_s01_e00_v01", "a01_s01_e00_v02", "a04_s03_e04_v01", "a11_s01_e00_v03"]


def raw_folder(root, strays=()):
    root.mkdir(parents=True)
    for name in CLIPS:
        shutil.copyfile(real_path("nw_ucla", "all_sqe", f"{name}.json"), root / f"{name}.json")
    for stray in strays:
        shutil.copyfile(real_path("nw_ucla", "all_sqe", "a04_s03_e04_v01.json"), root / stray)
    return root


def test_files_with_other_names_are_listed_as_skipped(tmp_path):
    raw = raw_folder(tmp_path / "raw", ["a04_s17_e00_v01 (copy).json", "clip_foo.json"])
    scan = NWUCLASource([raw]).scan()
    assert [r.name for r in scan.refs] == sorted(CLIPS)
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in scan.skipped}  # before: both vanished
    assert reasons == {"a04_s17_e00_v01 (copy).json": "name does not match aNN_sNN_eNN_vNN",
                       "clip_foo.json": "name does not match aNN_sNN_eNN_vNN"}
    assert scan.files == len(CLIPS) + 2


def test_prepare_summary_lists_every_skipped_file(tmp_path):
    strays = [f"stray_{i}.json" for i in range(7)]
    raw = raw_folder(tmp_path / "raw", strays)
    result = cli("prepare", "nwucla", "--raw", raw, "--out", tmp_path / "n.zarr", "--workers", "1")
    assert result.exit_code == 0, result.output
    for stray in strays:  # before: 3 examples
        assert f"{stray}: name does not match" in result.output, result.output


def test_many_skipped_files_are_listed_in_a_file(tmp_path):
    strays = [f"stray_{i:02d}.json" for i in range(60)]
    raw = raw_folder(tmp_path / "raw", strays)
    out = tmp_path / "n.zarr"
    result = cli("prepare", "nwucla", "--raw", raw, "--out", out, "--workers", "1")
    assert result.exit_code == 0, result.output
    listing = tmp_path / "n.zarr.skipped.txt"
    assert str(listing) in result.output.replace("\n", "")
    lines = listing.read_text().splitlines()
    assert len(lines) == 60 and all("\tname does not match aNN_sNN_eNN_vNN" in line for line in lines)


def test_truncated_zip_is_one_error_line(tmp_path):
    archive = tmp_path / "nwucla.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in CLIPS:
            zf.write(real_path("nw_ucla", "all_sqe", f"{name}.json"), f"all_sqe/{name}.json")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = cli("prepare", "nwucla", "--raw", cut, "--out", tmp_path / "n.zarr")
    one_error_line(result, str(cut), "download it again")  # before: a traceback
