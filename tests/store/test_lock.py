"""One writer per store: the lock file, its holder, and stale locks."""

from __future__ import annotations

import json

import pytest

from actionkit.store.errors import StoreLockedError
from actionkit.store.lock import StoreLock, lock_path


def test_a_held_lock_refuses_a_second_writer_and_names_the_holder(tmp_path):
    first = StoreLock(tmp_path / "s.zarr")
    holder = json.loads(lock_path(tmp_path / "s.zarr").read_text())
    with pytest.raises(StoreLockedError, match=f"process {holder['pid']} on {holder['host']}"):
        StoreLock(tmp_path / "s.zarr")
    first.release()
    assert not lock_path(tmp_path / "s.zarr").exists()
    StoreLock(tmp_path / "s.zarr").release()  # free again


def test_a_stale_lock_file_is_taken_over_with_a_message(tmp_path):
    stale = {"host": "elsewhere", "pid": 4242, "started": "2026-01-01T00:00:00+00:00"}
    lock_path(tmp_path / "s.zarr").write_text(json.dumps(stale))  # left by a killed run: no one holds it
    with pytest.warns(UserWarning, match="took over a stale lock left by process 4242 on elsewhere"):
        lock = StoreLock(tmp_path / "s.zarr")
    assert lock.took_over == stale
    lock.release()


def test_an_unwritable_folder_is_a_clear_error(tmp_path, monkeypatch):
    import errno
    import os

    from actionkit.store.errors import StoreError

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(StoreError, match="cannot create the lock file s.zarr.lock .*writable --out"):
        StoreLock(tmp_path / "s.zarr")
