"""One writer per store: a second prepare of the same --out fails at once, naming the first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from realdata import real_path

from actionkit.prepare import prepare
from actionkit.sources.nwucla import NWUCLASource
from actionkit.store.errors import StoreError
from actionkit.store.inspect import verify_store
from actionkit.store.schema import JOURNAL_DIR


def start_prepare(raw, out, *extra):
    """``actionkit prepare nwucla`` in another process; returns once it has started writing."""
    proc = subprocess.Popen([sys.executable, "-m", "actionkit.cli", "prepare", "nwucla", "--raw", str(raw),
                             "--out", str(out), "--workers", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 60
    while not (out / JOURNAL_DIR).exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the first prepare did not start: {proc.communicate()[0].decode()}")
        time.sleep(0.05)
    return proc


def test_second_writer_fails_at_once(tmp_path):
    raw, out = real_path("nw_ucla", "all_sqe"), tmp_path / "nwucla.zarr"
    first = start_prepare(raw, out)
    try:
        with pytest.raises(StoreError, match="is writing this store"):  # before: both wrote, one store broken
            prepare(NWUCLASource([raw]), out, workers=1)
    finally:
        output = first.communicate(timeout=300)[0].decode()
    assert first.returncode == 0, output
    report = verify_store(out)
    assert report.ok, report.problems


def test_a_killed_writers_lock_is_taken_over(tmp_path):
    raw, out = real_path("nw_ucla", "all_sqe"), tmp_path / "nwucla.zarr"
    first = start_prepare(raw, out, "--limit", "300")
    first.send_signal(signal.SIGKILL)
    first.communicate()
    with pytest.warns(UserWarning, match="stale lock"):
        report = prepare(NWUCLASource([raw]), out, workers=1, limit=300)
    assert report.samples + len(report.skipped) == 300 and verify_store(out).ok
