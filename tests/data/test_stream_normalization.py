"""Motion and bone streams are normalised as streams: derived from the normalised joints (real NW-UCLA samples)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from realdata import real_path

from actionkit.data import SkeletonDataset
from actionkit.data.transforms import Normalize
from actionkit.kernels.streams import bone, motion
from actionkit.normalize import get_normalization
from actionkit.prepare import prepare
from actionkit.sources.nwucla import NWUCLASource


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """12 real NW-UCLA clips (4 per view), all three streams stored."""
    tmp = tmp_path_factory.mktemp("nwucla-streams")
    raw = tmp / "raw"
    raw.mkdir()
    files = sorted(real_path("nw_ucla", "all_sqe").glob("*.json"))
    for view in ("v01", "v02", "v03"):
        for f in [f for f in files if f"_{view}" in f.name][:4]:
            shutil.copyfile(f, raw / f.name)
    prepare(NWUCLASource([raw]), tmp / "s.zarr", workers=1, streams=("joint", "motion", "bone"))
    return tmp / "s.zarr"


@pytest.mark.parametrize("norm", ["ctrgcn_ucla", "agcn"])
def test_motion_and_bone_come_from_the_normalised_joints(store, norm):
    joints = SkeletonDataset(store, None, stream="joint")
    parents = np.asarray(joints.layout.parents)
    fn = get_normalization(norm)
    for stream in ("motion", "bone"):
        ds = SkeletonDataset(store, None, stream=stream, pre_transform=Normalize(norm))
        for i in range(len(ds)):
            expected = fn(joints.raw(i))
            expected = motion(expected) if stream == "motion" else bone(expected, parents)
            np.testing.assert_allclose(ds.raw(i), expected, atol=1e-6)
            if stream == "motion" and len(expected) > 1:
                assert not ds.raw(i)[-1].any()  # the last frame has no motion: zero, not frame 0's
                if norm == "ctrgcn_ucla":  # centred on frame 0 only: the centre joint's motion stays
                    assert np.abs(ds.raw(i)[:-1, 0, 1]).sum() > 0


def test_the_joint_normalisation_of_a_stored_motion_stream_is_what_this_replaces(store):
    """Normalising the stored motion as if it were joints gives the two faults the issue names."""
    st_motion = SkeletonDataset(store, None, stream="motion")
    fixed = SkeletonDataset(store, None, stream="motion", pre_transform=Normalize("agcn"))
    i = int(np.argmax([len(st_motion.raw(k)) for k in range(len(st_motion))]))
    wrong = get_normalization("agcn")(st_motion.raw(i))
    assert not wrong[:, 0, 1].any() and wrong[-1].any()  # the centre's motion zeroed, last frame looped
    assert not fixed.raw(i)[-1].any()
    fixed_ucla = SkeletonDataset(store, None, stream="motion", pre_transform=Normalize("ctrgcn_ucla"))
    assert fixed_ucla.raw(i)[:, 0, 1].any() and not fixed_ucla.raw(i)[-1].any()
