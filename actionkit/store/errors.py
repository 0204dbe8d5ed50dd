"""Exceptions raised by the store layer."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StoreError(Exception):
    """A store cannot be read or written as asked; the message names the store and why."""


class StoreExistsError(StoreError):
    """A complete store already exists where a new one would be written."""


class IncompleteStoreError(StoreError):
    """The store was never finished (an interrupted prepare); resume it or pass ``allow_incomplete``."""


class SchemaVersionError(StoreError):
    """The store was written with a schema version this reader does not know."""


class StoreLockedError(StoreError):
    """Another live process is writing the store (its lock file names it)."""


class DamagedStoreError(StoreError):
    """An array of the store is missing a chunk, or a chunk or its metadata was altered."""


@contextmanager
def os_errors(path: Path) -> Iterator[None]:
    """Turn an operating-system failure while writing ``path`` into a :class:`StoreError` that
    says what to do (a full disk, a read-only folder, a permission)."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
            what = ("no space left on the device; free some space (or choose another --out) and run the "
                    "prepare again: it resumes from its last commit")
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            what = f"no permission to write ({exc.strerror}); choose a writable --out folder"
        else:
            what = f"cannot write ({exc.strerror or exc}); check the folder, then run the prepare again"
        where = exc.filename or path
        raise StoreError(f"{where}: {what}") from exc
