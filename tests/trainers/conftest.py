"""Shared fixtures of the trainer tests."""

from __future__ import annotations

import pytest

from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A tiny NTU-60 store (4 classes x 4 samples, joint stream) prepared once per session."""
    tmp = tmp_path_factory.mktemp("trainers-store")
    generate_ntu_dataset(tmp / "raw", samples_per_class=4, seed=1, classes=[10, 23, 27, 55])
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1, streams=("joint",))
    return tmp / "s.zarr"

