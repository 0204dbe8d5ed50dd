"""Fixtures of the results tests."""

from __future__ import annotations

import pytest

from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A tiny NTU-60 skeleton store (2 classes x 2 samples, joint stream)."""
    tmp = tmp_path_factory.mktemp("results-store")
    generate_ntu_dataset(tmp / "raw", samples_per_class=2, seed=1, classes=[10, 55])
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1, streams=("joint",))
    return tmp / "s.zarr"
