"""Where the genuine dataset files live (``../shared/data/real``), for tests: the one place that finds them.

A module of its own (not ``conftest``): test folders have conftest files of their own,
so ``from conftest import ...`` would depend on collection order.

On a user's clone the folder may be absent, and the tests that need it skip, saying
what is missing. CI has it: ``.ci/run`` sets ``ACTIONKIT_REQUIRE_REAL=1``, which turns
a missing file into a failure, so that a broken path cannot hide behind a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"

#: Set to 1 (CI) to fail, instead of skip, when a genuine file is missing.
REQUIRE_ENV = "ACTIONKIT_REQUIRE_REAL"


def required() -> bool:
    """Whether missing genuine data fails the test (``ACTIONKIT_REQUIRE_REAL=1``)."""
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0")


def missing(what: Path | str) -> None:
    """Skip (or, when required, fail) a test whose genuine data is absent."""
    message = f"genuine data not found at {what} (the shared data folder is absent on this machine)"
    if required():
        pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it", pytrace=False)
    pytest.skip(message)


def real_path(*parts: str) -> Path:
    """A path under the genuine-data folder, or skip (fail when required) saying what is missing."""
    path = REAL_DATA.joinpath(*parts)
    if not path.exists():
        missing(path)
    return path


def real_files(*parts: str, pattern: str = "*") -> list[Path]:
    """The files matching ``pattern`` in a genuine-data folder, sorted; skip (fail when required) if none."""
    folder = REAL_DATA.joinpath(*parts)
    files = sorted(folder.glob(pattern)) if folder.is_dir() else []
    if not files:
        missing(folder / pattern)
    return files
