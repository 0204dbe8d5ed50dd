"""Helpers of the command-line tests (a module of its own: ``from conftest import`` depends on collection order)."""

from __future__ import annotations

from pathlib import Path

from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset

#: A one-epoch supervised run that fits in a few seconds on a CPU.
TINY_TRAIN = ["--set", "data.frames=8", "--set", "data.batch_size=4", "--set", "data.workers=0",
              "--set", "run.epochs=1", "--set", "run.device=cpu"]  # fmt: skip


def tiny_store(path: Path, classes: list[int], seed: int) -> Path:
    """A 4-samples-per-class NTU-60 store of ``classes`` (joint stream) at ``path``."""
    generate_ntu_dataset(path.parent / f"{path.stem}-raw", samples_per_class=4, seed=seed, classes=classes)
    prepare(NTUSource([path.parent / f"{path.stem}-raw"], "ntu60"), path, workers=1, streams=("joint",))
    return path
