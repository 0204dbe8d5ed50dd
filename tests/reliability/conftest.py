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
    """60 genuine NW-UCLA clips (every 25th: all 10 actions, all three views), joint + motion + bone."""
    tmp = tmp_path_factory.mktemp("reliability")
    raw = tmp / "all_sqe"
    raw.mkdir()
    for clip in sorted(real_path("nw_ucla", "all_sqe").glob("*.json"))[::25][:60]:
        shutil.copyfile(clip, raw / clip.name)
    prepare(NWUCLASource([raw]), tmp / "nwucla.zarr", workers=1)
    return tmp / "nwucla.zarr"


@pytest.fixture()
def store_copy(nwucla_store, tmp_path):
    """A private copy of the NW-UCLA store, free to damage."""
    target = tmp_path / "nwucla.zarr"
    shutil.copytree(nwucla_store, target)
    return target
