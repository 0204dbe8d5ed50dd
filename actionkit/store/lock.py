"""One writer per store: an exclusive lock file beside the store.

``<store>.lock`` (e.g. ``ntu60.zarr.lock``) holds the writer's host, pid and start time,
and the writer holds an ``fcntl`` lock on it for as long as it writes. The kernel drops
that lock when the process dies, however it dies, so a lock file left by a killed run is
recognised as stale and taken over (with a message); a live writer's lock makes a second
writer fail at once, naming the holder.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import socket
import warnings
from pathlib import Path

from actionkit.store.errors import StoreError, StoreLockedError


def lock_path(store: Path) -> Path:
    """Where the lock file of ``store`` lives (beside it, so replacing the store keeps it)."""
    store = Path(store)
    return store.with_name(store.name + ".lock")


class StoreLock:
    """An exclusive, process-lifetime lock on writing one store.

    Args:
        store: The store to be written.

    Raises:
        StoreLockedError: another live process holds the lock (the message names its host,
            pid and start time, and the lock file).
        StoreError: the lock file cannot be created (read-only folder, no space); the
            message names the folder.
    """

    def __init__(self, store: Path):
        self.path = lock_path(store)
        self._fd: int | None = None
        self._owner = os.getpid()  # a forked worker inherits this object: only the owner releases
        self.took_over: dict | None = None
        self._acquire()

    def _acquire(self) -> None:
        while True:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreError(f"{self.path.parent}: cannot create the lock file {self.path.name} "
                                 f"({exc.strerror or exc}); choose a writable --out folder with free space") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _read_holder(fd)
                os.close(fd)
                who = (f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
                       if holder else "another process")
                raise StoreLockedError(
                    f"{self.path.parent / self.path.name[:-5]}: {who} is writing this store (lock "
                    f"{self.path}); wait for it to finish, or stop it and run again") from None
            # The file may have been removed (and released) by its last holder between our
            # open and our lock: then we hold a lock on a file no one else will see.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            break
        previous = _read_holder(fd)
        if previous and (previous.get("pid"), previous.get("host")) == (os.getpid(), socket.gethostname()):
            previous = {}  # this very process, which dropped a writer without finishing it
        if previous:
            self.took_over = previous
            warnings.warn(f"{self.path}: took over a stale lock left by process {previous.get('pid')} on "
                          f"{previous.get('host')} (started {previous.get('started')}), which no longer runs",
                          stacklevel=3)
        record = {"host": socket.gethostname(), "pid": os.getpid(),
                  "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent; a no-op in forked children)."""
        if self._fd is None or os.getpid() != self._owner:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:  # a writer dropped without finish (an error): no lock may linger
        self.release()


def _read_holder(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        return json.loads(data) if data.strip() else {}
    except (OSError, ValueError):
        return {}
