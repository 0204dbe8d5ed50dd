"""Shared test set-up: the genuine-data helpers live in ``tests/realdata.py``."""

from __future__ import annotations

import fcntl
import os

# ``pytest -n 2`` (the README's command): the workers share the cores, so each, and every
# process its tests start (DDP ranks, CLI runs, benchmarks), gets one intra-op thread.
# Set before anything imports torch, which reads it once.
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    os.environ["OMP_NUM_THREADS"] = "1"

import pytest  # noqa: E402
from realdata import REAL_DATA, real_path  # noqa: E402

from actionkit.prepare.video import VideoSettings, prepare_video  # noqa: E402
from actionkit.sources.nwucla_video import NWUCLAVideoSource  # noqa: E402
from actionkit.synthetic.videos import write_motion_videos  # noqa: E402

__all__ = ["REAL_DATA", "real_path"]


@pytest.fixture(scope="session")
def video_store(tmp_path_factory):
    """4 motion classes x 3 views x 1 clip of 10 frames (NW-UCLA RGB-D layout), rgb + depth + TV-L1 flow at 32 px.

    Read only. Its TV-L1 flow takes seconds, so under ``pytest -n N`` the workers build it
    once, in the run's shared temporary folder, the first under a lock while the others wait.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return _build_video_store(tmp_path_factory.mktemp("video-store"))
    shared = tmp_path_factory.getbasetemp().parent / "video-store"  # this run's folder, above the workers' own
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (shared / "built").exists():
            _build_video_store(shared)
            (shared / "built").touch()
    return shared / "v.zarr"


def _build_video_store(tmp):
    raw = write_motion_videos(tmp / "raw", clips_per_view=1, frames=10, height=48, width=64, seed=3)
    prepare_video(NWUCLAVideoSource([raw]), tmp / "v.zarr", streams=("rgb", "depth", "flow"),
                  settings=VideoSettings(short_side=32), workers=1)
    return tmp / "v.zarr"
