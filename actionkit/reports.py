"""What a prepare reports: samples left out, notes on stored samples, and the end-of-run report.

These types sit below the store: the store writer journals :class:`Skip` and :class:`Note`
records, the sources return skips from their scans, and the pipelines in
:mod:`actionkit.prepare` fill a :class:`PrepareReport`. This module imports nothing of
actionkit, so every layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Skip:
    """A sample left out of the store, and why."""

    name: str
    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class Note:
    """A note on a stored sample (see :class:`actionkit.sources.base.SampleNote`)."""

    name: str
    path: str
    note: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "path": self.path, "note": self.note}


@dataclass
class PrepareReport:
    """What a prepare did.

    Attributes:
        dataset: Dataset id.
        out: The store written.
        samples: Samples stored.
        frames: Frames stored (per stream).
        skipped: Samples left out because they are malformed, with path and reason.
        excluded: Samples left out by the dataset's rules, counted by rule.
        splits: ``{protocol: {part: count}}``.
        seconds: Wall time of this run.
        resumed_from: Scan entries already done by an interrupted run (0 if fresh).
        bytes: Size of the store on disk.
        raw_files: Raw files the scan looked at.
        notes: Notes on stored samples (a clip cut at its sequence's end, a fallback).
        warnings: Problems that dropped no sample (e.g. a missing split file).
        status: One line on a sharded prepare's state (empty for a whole prepare).
    """

    dataset: str
    out: Path
    samples: int
    frames: int
    skipped: list[Skip]
    excluded: dict[str, int]
    splits: dict[str, dict[str, int]]
    seconds: float
    resumed_from: int = 0
    bytes: int = 0
    raw_files: int = 0
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: str = ""


class PrepareError(Exception):
    """A prepare stopped: a fatal input problem (``strict``) or nothing usable found."""
