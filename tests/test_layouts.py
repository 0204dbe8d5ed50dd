"""Skeleton layouts: NTU / Kinect v1 tables, derived graph quantities, registry."""

import numpy as np
import pytest

from actionkit.kernels.streams import bone
from actionkit.layouts import KINECT_V1_20, LAYOUTS, NTU25, Layout, get_layout

# FORMATS.md, 1-based (child, parent), the ST-GCN family's list.
NTU_PAIRS_1BASED = [
    (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21), (10, 9),
    (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17), (19, 18),
    (20, 19), (21, 21), (22, 23), (23, 8), (24, 25), (25, 12),
]


def test_ntu_parents_match_the_formats_table():
    assert NTU25.num_joints == 25
    assert NTU25.center == 20
    for child, parent in NTU_PAIRS_1BASED:
        assert NTU25.parents[child - 1] == parent - 1
    assert len(NTU25.bone_pairs) == 24
    assert (20, 20) not in NTU25.bone_pairs
    assert NTU25.joint_names[20] == "SpineShoulder"


def test_ntu_degrees():
    deg = NTU25.degrees
    assert deg[20] == 4  # SpineShoulder (21, 1-based): SpineMid, Neck, both shoulders
    assert deg[0] == 3  # SpineBase: SpineMid and both hips
    assert deg[22] == 2  # ThumbLeft: HandLeft and HandTipLeft
    for leaf in (3, 15, 19, 21, 23):  # Head, feet, hand tips
        assert deg[leaf] == 1
    assert deg.sum() == 2 * 24
    # The degree-centrality table hard-coded in PSTL (ASMa's base code).
    pstl = [3, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 1, 4, 1, 2, 1, 2]
    assert deg.tolist() == pstl


def test_kinect_v1_layout():
    lay = KINECT_V1_20
    assert lay.num_joints == 20 and lay.center == 2
    assert lay.joint_names[2] == "ShoulderCenter"
    assert lay.parents[0] == 1 and lay.parents[1] == 2 and lay.parents[12] == 0
    deg = lay.degrees
    assert deg[2] == 4 and deg[0] == 3 and deg[3] == 1
    assert deg.sum() == 2 * 19


@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=list(LAYOUTS))
def test_bone_of_centre_is_zero_and_adjacency_is_consistent(layout):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, layout.num_joints, 3)).astype(np.float32)
    b = bone(x, layout.parents)
    assert np.all(b[:, :, layout.center] == 0)
    a = layout.adjacency()
    assert a.shape == (layout.num_joints,) * 2
    assert np.array_equal(a, a.T) and np.all(np.diag(a) == 0)
    assert np.array_equal(a.sum(axis=1).astype(np.int64), layout.degrees)
    assert np.all(np.diag(layout.adjacency(self_loops=True)) == 1)
    flip = layout.flip_index
    assert np.array_equal(flip[flip], np.arange(layout.num_joints))
    left, right = (("ShoulderLeft", "ShoulderRight") if "ShoulderLeft" in layout.joint_names else
                   ("left_shoulder", "right_shoulder") if "left_shoulder" in layout.joint_names else
                   ("LShoulder", "RShoulder"))
    i, j = layout.joint_names.index(left), layout.joint_names.index(right)
    assert flip[i] == j and flip[j] == i


def test_get_layout():
    assert get_layout("ntu25") is NTU25
    assert get_layout("kinect_v1_20") is KINECT_V1_20
    assert get_layout("kinect-v1-20") is KINECT_V1_20
    assert get_layout("coco17").num_joints == 17 and get_layout("openpose18").num_joints == 18
    with pytest.raises(KeyError, match="coco17, kinect_v1_20, ntu25, openpose18"):
        get_layout("halpe26")


def test_pyskl_2d_graphs():
    """coco17 / openpose18 are PYSKL's graphs: the same undirected edges and centre."""
    coco = {(15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6), (9, 7), (7, 5), (10, 8), (8, 6),
            (5, 0), (6, 0), (1, 0), (3, 1), (2, 0), (4, 2)}
    assert set(get_layout("coco17").bone_pairs) == coco and get_layout("coco17").center == 0
    assert get_layout("openpose18").center == 1 and len(get_layout("openpose18").bone_pairs) == 17


def test_layout_from_json_names_indices_and_errors():
    from actionkit.layouts import layout_from_json

    lay = layout_from_json({"name": "arm", "joint_names": ["chest", "l_hand", "r_hand"], "center": "chest",
                            "bones": [["l_hand", "chest"], [3, 1]], "one_based": True,
                            "flip_pairs": [["l_hand", "r_hand"]]})
    assert lay.parents == (0, 0, 0) and lay.flip_pairs == ((1, 2),) and lay.name == "arm"
    assert layout_from_json({"joint_names": ["a", "b"], "parents": [0, 0], "center": 0}).parents == (0, 0)
    with pytest.raises(ValueError, match="no joint named 'x'"):
        layout_from_json({"joint_names": ["a", "b"], "bones": [["x", "a"]], "center": "a"})
    with pytest.raises(ValueError, match="cycle|parent"):
        layout_from_json({"joint_names": ["a", "b", "c"], "parents": [0, 2, 1], "center": 0})
    with pytest.raises(ValueError, match="'center'"):
        layout_from_json({"joint_names": ["a"], "parents": [0]})


def test_a_new_layout_is_a_few_lines():
    toy = Layout.from_bone_pairs("toy", ("hip", "spine", "head"), [(1, 0), (2, 1)], center=0)
    assert toy.parents == (0, 0, 1)
    assert toy.degrees.tolist() == [1, 2, 1]


def test_invalid_layouts_are_rejected():
    with pytest.raises(ValueError, match="without a parent"):
        Layout.from_bone_pairs("bad", ("a", "b", "c"), [(1, 0)], center=0)
    with pytest.raises(ValueError, match="cycle"):
        Layout("bad", ("a", "b", "c"), (0, 2, 1), center=0)
    with pytest.raises(ValueError, match="own parent"):
        Layout("bad", ("a", "b"), (0, 1), center=0)
    with pytest.raises(ValueError, match="flip"):
        Layout("bad", ("a", "b"), (0, 0), center=0, flip_pairs=((0, 5),))
