"""Where the genuine dataset files live (``../shared/data/real``), for tests.

A module of its own (not ``conftest``): test folders have conftest files of their own,
so ``from conftest import ...`` would depend on collection order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def real_path(*parts: str) -> Path:
    """A path under the genuine-data folder, or skip the test saying what is missing."""
    path = REAL_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"genuine data not found at {path} (the shared data folder is absent on this machine)")
    return path
