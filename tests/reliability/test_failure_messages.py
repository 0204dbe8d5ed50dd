"""A full disk and a read-only output folder end in one ``error:`` line naming the path and what
to do (the failing write is simulated: tests cannot fill a disk or, as root, lose permission)."""

from __future__ import annotations

import errno

import pytest
import zarr.storage
from clirun import cli, one_error_line
from realdata import real_path


@pytest.mark.parametrize("code, words", [
    (errno.ENOSPC, ("no space left on the device", "resumes")),
    (errno.EACCES, ("no permission to write", "writable --out")),
    (errno.EROFS, ("no permission to write", "writable --out")),
])
def test_write_failures_are_one_error_line(tmp_path, monkeypatch, code, words):
    out = tmp_path / "nwucla.zarr"
    calls = {"n": 0}
    real_set = zarr.storage.LocalStore.set

    async def failing_set(self, key, value):
        calls["n"] += 1
        if calls["n"] > 12:  # the store is created, then a later write fails
            raise OSError(code, __import__("os").strerror(code), str(out / key))
        return await real_set(self, key, value)

    monkeypatch.setattr(zarr.storage.LocalStore, "set", failing_set)
    result = cli("prepare", "nwucla", "--raw", real_path("nw_ucla", "all_sqe"), "--out", out, "--workers", "1",
                 "--limit", "200")
    assert calls["n"] > 12
    one_error_line(result, str(out), *words)  # before: a traceback


def test_bad_paths_are_one_error_line(tmp_path):
    one_error_line(cli("info", tmp_path / "absent.zarr"), "absent.zarr", "check the path")
    one_error_line(cli("prepare", "nwucla", "--raw", tmp_path / "absent"), "absent")
    (tmp_path / "file.zarr").write_text("x")
    one_error_line(cli("info", tmp_path / "file.zarr"), "file.zarr", "not a store")
