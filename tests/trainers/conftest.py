"""Shared fixtures of the trainer tests."""

from __future__ import annotations

import pytest

from actionkit.prepare import prepare
from actionkit.prepare_video import VideoSettings, prepare_video
from actionkit.sources.ntu import NTUSource
from actionkit.sources.nwucla_video import NWUCLAVideoSource
from actionkit.synthetic import generate_ntu_dataset
from actionkit.synthetic.videos import write_motion_videos


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A tiny NTU-60 store (4 classes x 4 samples, joint stream) prepared once per session."""
    tmp = tmp_path_factory.mktemp("trainers-store")
    generate_ntu_dataset(tmp / "raw", samples_per_class=4, seed=1, classes=[10, 23, 27, 55])
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1, streams=("joint",))
    return tmp / "s.zarr"


@pytest.fixture(scope="session")
def video_store(tmp_path_factory):
    """4 motion classes x 3 views x 1 clip of 10 frames (NW-UCLA RGB-D layout), rgb + depth + TV-L1 flow at 32 px."""
    tmp = tmp_path_factory.mktemp("video-store")
    raw = write_motion_videos(tmp / "raw", clips_per_view=1, frames=10, height=48, width=64, seed=3)
    prepare_video(NWUCLAVideoSource([raw]), tmp / "v.zarr", streams=("rgb", "depth", "flow"),
                  settings=VideoSettings(short_side=32), workers=1)
    return tmp / "v.zarr"
