"""Shared test set-up: the genuine-data helpers live in ``tests/realdata.py``."""

from __future__ import annotations

import pytest
from realdata import REAL_DATA, real_path

from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.sources.nwucla_video import NWUCLAVideoSource
from actionkit.synthetic.videos import write_motion_videos

__all__ = ["REAL_DATA", "real_path"]


@pytest.fixture(scope="session")
def video_store(tmp_path_factory):
    """4 motion classes x 3 views x 1 clip of 10 frames (NW-UCLA RGB-D layout), rgb + depth + TV-L1 flow at 32 px."""
    tmp = tmp_path_factory.mktemp("video-store")
    raw = write_motion_videos(tmp / "raw", clips_per_view=1, frames=10, height=48, width=64, seed=3)
    prepare_video(NWUCLAVideoSource([raw]), tmp / "v.zarr", streams=("rgb", "depth", "flow"),
                  settings=VideoSettings(short_side=32), workers=1)
    return tmp / "v.zarr"

