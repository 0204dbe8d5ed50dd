"""Shared set-up of the reliability tests: a store prepared from the genuine NW-UCLA clips, and
the command line run in-process.

Each test here is one case a hostile tester found (issue 24): it failed before the fix.
"""

from __future__ import annotations

import shutil

import pytest
from realdata import real_path

from actionkit.prepare import prepare
from actionkit.sources.nwucla import NWUCLASource


@pytest.fixture(scope="session")
def nwucla_store(tmp_path_factory):
    """The first 60 genuine NW-UCLA clips (all three views), joint + motion + bone."""
    out = tmp_path_factory.mktemp("reliability") / "nwucla.zarr"
    prepare(NWUCLASource([real_path("nw_ucla", "all_sqe")]), out, workers=1, limit=60)
    return out


@pytest.fixture()
def store_copy(nwucla_store, tmp_path):
    """A private copy of the NW-UCLA store, free to damage."""
    target = tmp_path / "nwucla.zarr"
    shutil.copytree(nwucla_store, target)
    return target
