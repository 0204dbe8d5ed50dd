"""The ST-GCN spatial-configuration partition built from layouts."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.layouts import KINECT_V1_20, NTU25
from actionkit.models.graph import hop_distance, normalize_digraph, spatial_partition


@pytest.mark.parametrize("layout", [NTU25, KINECT_V1_20], ids=lambda layout: layout.name)
@pytest.mark.parametrize("quirk", [False, True])
def test_partitions_sum_to_normalised_adjacency(layout, quirk):
    a = spatial_partition(layout, truncate_center_distance=quirk)
    v = layout.num_joints
    assert a.shape == (3, v, v) and a.dtype == np.float32
    expected = normalize_digraph(layout.adjacency(self_loops=True).astype(np.float64))
    np.testing.assert_allclose(a.sum(0), expected, atol=1e-7)
    np.testing.assert_allclose(a.sum(axis=(0, 1)), np.ones(v), atol=1e-6)
    np.testing.assert_allclose(np.diag(a[0]), 1.0 / (layout.degrees + 1), atol=1e-7)
    # Every entry sits in exactly one subset.
    assert ((a > 0).sum(0) <= 1).all()


def _sources(a: np.ndarray, subset: int, joint: int) -> set[int]:
    """The input joints that feed output ``joint`` through ``subset``."""
    return set(np.flatnonzero(a[subset][:, joint]).tolist())


def test_ntu_centre_and_elbow_hand_checked():
    a = spatial_partition(NTU25)
    centre = 20  # SpineShoulder, degree 4: SpineMid, Neck, both shoulders
    assert _sources(a, 0, centre) == {centre}
    assert _sources(a, 1, centre) == {1, 2, 4, 8}
    assert _sources(a, 2, centre) == set()
    np.testing.assert_allclose(a[1][[1, 2, 4, 8], centre], 0.2, atol=1e-7)
    elbow = 5  # ElbowLeft: parent ShoulderLeft (4), child WristLeft (6)
    assert _sources(a, 0, elbow) == {elbow}
    assert _sources(a, 1, elbow) == {6}
    assert _sources(a, 2, elbow) == {4}
    np.testing.assert_allclose(a[:, [5, 6, 4], elbow].sum(0), 1 / 3, atol=1e-7)


def test_kinect_v1_centre():
    a = spatial_partition(KINECT_V1_20)
    assert _sources(a, 1, 2) == {1, 3, 4, 8}  # ShoulderCenter's children
    hand = 7  # HandLeft, a leaf: its only neighbour is WristLeft (6), nearer the centre
    assert _sources(a, 1, hand) == set() and _sources(a, 2, hand) == {6}


def test_truncated_centre_distance_quirk_moves_far_parents():
    wrist = 6  # WristLeft, 3 hops from SpineShoulder: parent ElbowLeft 5, child HandLeft 7
    paper = spatial_partition(NTU25)
    quirk = spatial_partition(NTU25, truncate_center_distance=True)
    assert _sources(paper, 1, wrist) == {7} and _sources(paper, 2, wrist) == {5}
    assert _sources(quirk, 1, wrist) == {5, 7} and _sources(quirk, 2, wrist) == set()
    # Joints within one hop of the centre are partitioned the same way by both.
    for joint in (20, 1, 2, 4, 8):
        for k in range(3):
            assert _sources(paper, k, joint) == _sources(quirk, k, joint)


def test_hop_distance():
    d = hop_distance(NTU25)
    assert (d == d.T).all() and (np.diag(d) == 0).all()
    assert d[20, 6] == 3 and d[3, 19] == 8  # Head -> FootRight: 3-2-20-1-0-16-17-18-19
    assert np.isinf(hop_distance(NTU25, max_hop=1)[20, 6])
    with pytest.raises(ValueError):
        spatial_partition(NTU25, max_hop=0)
