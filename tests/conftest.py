"""Shared test set-up: the genuine-data helpers live in ``tests/realdata.py``."""

from __future__ import annotations

from realdata import REAL_DATA, real_path

__all__ = ["REAL_DATA", "real_path"]
