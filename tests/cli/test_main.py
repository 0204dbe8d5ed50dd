"""The command line: prepare, info, verify, demo, and their error messages."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app
from actionkit.synthetic import generate_ntu_dataset

runner = CliRunner()


@pytest.fixture()
def raw(tmp_path):
    folder = tmp_path / "raw" / "ntu60"
    generate_ntu_dataset(folder, samples_per_class=2, seed=4)
    return folder


def test_prepare_info_verify(tmp_path, raw):
    out = tmp_path / "ntu60.zarr"
    result = runner.invoke(app, ["prepare", "ntu60", "--raw", str(raw), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "prepared ntu60" in result.output and "split xsub" in result.output
    assert len(open_store(out)) == len(list(raw.iterdir()))

    result = runner.invoke(app, ["info", str(out)])
    assert result.exit_code == 0, result.output
    for word in ("stream joint", "split xview", "fingerprint", "bodies=tracked"):
        assert word in result.output

    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "verified" in result.output

    again = runner.invoke(app, ["prepare", "ntu60", "--raw", str(raw), "--out", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output


def test_default_paths_come_from_actionkit_data(tmp_path, raw, monkeypatch):
    monkeypatch.setenv("ACTIONKIT_DATA", str(tmp_path))
    result = runner.invoke(app, ["prepare", "ntu60", "--workers", "1", "--streams", "joint"])
    assert result.exit_code == 0, result.output
    store = open_store(tmp_path / "ntu60.zarr")
    assert store.stream_names == ("joint",)


def test_missing_raw_explains_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONKIT_DATA", str(tmp_path / "nowhere"))
    result = runner.invoke(app, ["prepare", "ntu60"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert str(tmp_path / "nowhere" / "raw" / "ntu60") in text
    assert "nturgbd_skeletons_s001_to_s017.zip" in text and "--raw" in text


def test_unknown_dataset_and_bad_options(tmp_path):
    # names are validated choices: a usage error (exit 2) that lists the valid ones
    result = runner.invoke(app, ["prepare", "kinetics9000"])
    assert result.exit_code == 2 and "'ntu60', 'ntu120'" in " ".join(result.output.split())
    result = runner.invoke(app, ["prepare", "ntu60", "--raw", str(tmp_path), "--bodies", "all"])
    assert result.exit_code == 2 and "'tracked'" in result.output
    result = runner.invoke(app, ["prepare", "ntu60", "--raw", str(tmp_path), "--streams", "joint,flow"])
    assert result.exit_code == 1 and "flow is not a stream of ntu60; streams: joint, motion, bone" in result.output


def test_verify_reports_a_corrupted_stream(tmp_path, raw):
    out = tmp_path / "s.zarr"
    assert runner.invoke(app, ["prepare", "ntu60", "--raw", str(raw), "--out", str(out),
                               "--workers", "1"]).exit_code == 0
    shard = next(p for p in (out / "motion" / "c").rglob("*") if p.is_file())
    data = bytearray(shard.read_bytes())
    data[len(data) // 3] ^= 0xFF
    shard.write_bytes(bytes(data))
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 1
    assert "motion" in result.output


def test_info_on_something_that_is_not_a_store(tmp_path):
    result = runner.invoke(app, ["info", str(tmp_path / "nope.zarr")])
    assert result.exit_code == 1 and "no such store" in result.output


def test_demo_end_to_end_as_a_user_runs_it(tmp_path):
    env_data = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "actionkit.cli", "demo", "--samples-per-class", "2"],
        capture_output=True, text=True, cwd=tmp_path, env={**_env(), "ACTIONKIT_DATA": str(env_data)}, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ntu60-demo" in proc.stdout and "split xsub" in proc.stdout
    text = " ".join(proc.stdout.split())
    assert "demo done: test top-1" in text and "chance" in text and "the demo took" in text
    store = open_store(env_data / "demo.zarr")
    assert len(store) >= 24 and store.attrs["counts"]["skipped"] == 0
    assert len(set(store.samples["label"].tolist())) >= 12


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items()}
