"""Load-time normalisations on hand-computed skeletons."""

import numpy as np
import pytest

from actionkit import normalize as nz
from actionkit.normalize import NORMALIZATIONS, alignment_rotation, get_normalization

# Centred coordinates of a few NTU joints; all other joints absent (zero).
#   0 SpineBase, 1 SpineMid (origin), 3 Head, 4 ShoulderLeft, 8 ShoulderRight.
UPRIGHT_Y = {0: (0.0, -1.0, 0.0), 1: (0.0, 0.0, 0.0), 3: (0.0, 1.0, 0.2),
             4: (-1.0, 0.5, 0.0), 8: (1.0, 0.5, 0.0)}


def skeleton(points, offsets, bodies=2):
    """[T, bodies, 25, 3]: body 0 = `points` + offset of each frame; other bodies absent."""
    x = np.zeros((len(offsets), bodies, 25, 3), np.float32)
    for t, off in enumerate(offsets):
        for j, p in points.items():
            x[t, 0, j] = np.add(p, off)
    return x


def test_registry():
    assert {"none", "agcn", "aimclr", "pyskl", "ctrgcn"} <= set(NORMALIZATIONS)
    with pytest.raises(KeyError, match="agcn, aimclr"):
        get_normalization("st-gcn")
    fn = get_normalization("agcn", pad_to=8)
    assert fn(skeleton(UPRIGHT_Y, [(1, 2, 3)])).shape[0] == 8
    with pytest.raises(TypeError):
        get_normalization("ctrgcn", pad_to=8)


@pytest.mark.parametrize("name", sorted(NORMALIZATIONS))
def test_input_is_never_modified_and_output_is_float32(name):
    x = skeleton(UPRIGHT_Y, [(2, 3, 4), (2.5, 3, 4.5)])
    x[:, 1] = x[:, 0] + 0.3
    before = x.copy()
    out = NORMALIZATIONS[name](x)
    np.testing.assert_array_equal(x, before)
    assert out.dtype == np.float32 and out.ndim == 4


def test_none_is_a_copy():
    x = skeleton(UPRIGHT_Y, [(1, 1, 1)])
    out = get_normalization("none")(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x


def test_agcn_spine_along_y_becomes_along_z():
    # Frame 1 is frame 0 moved: per-frame centring makes both frames identical.
    x = skeleton(UPRIGHT_Y, [(2.0, 3.0, 4.0), (2.5, 3.0, 4.5)])
    out = nz.agcn(x)
    # Rotation of +90 deg about x takes (x, y, z) to (x, -z, y); the shoulders are then
    # already along x, so the second rotation is the identity.
    want = {j: (p[0], -p[2], p[1]) for j, p in UPRIGHT_Y.items()}
    for t in range(2):
        for j in range(25):
            np.testing.assert_allclose(out[t, 0, j], want.get(j, (0, 0, 0)), atol=1e-6)
    assert np.all(out[:, 1] == 0)  # absent body stays zero
    spine = out[0, 0, 1] - out[0, 0, 0]
    np.testing.assert_allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-6)


def test_agcn_shoulders_become_parallel_to_x():
    pts = {0: (0.0, 0.0, -1.0), 1: (0.0, 0.0, 0.0), 4: (0.0, -1.0, 0.5), 8: (0.0, 1.0, 0.5),
           3: (0.3, 0.0, 1.0)}
    out = nz.agcn(skeleton(pts, [(1.0, 1.0, 1.0)]))
    # Left -> right is +y; the rotation about -z by 90 deg maps (x, y, z) to (y, -x, z).
    for j, p in pts.items():
        np.testing.assert_allclose(out[0, 0, j], (p[1], -p[0], p[2]), atol=1e-6)


def test_agcn_centring_masks_absent_joints_and_uses_body0_centre():
    x = skeleton(UPRIGHT_Y, [(2.0, 3.0, 4.0)])
    x[0, 1, 5] = (2.0, 4.0, 4.0)  # body 1 has one joint only
    out = nz.agcn(x)
    # body 1's joint minus body 0's SpineMid (2, 3, 4) = (0, 1, 0) -> rotated to (0, 0, 1)
    np.testing.assert_allclose(out[0, 1, 5], (0, 0, 1), atol=1e-6)
    assert np.all(np.delete(out[0, 1], 5, axis=0) == 0)


def test_agcn_pad_to_loops_the_sequence():
    offsets = [(0.0, 0.0, 0.0), (0.1, 0.0, 0.0), (0.0, 0.2, 0.0)]
    pts = dict(UPRIGHT_Y)
    x = skeleton(pts, offsets)
    x[1, 0, 3] += 0.5  # make frames distinguishable after centring
    x[2, 0, 3] -= 0.5
    out = nz.agcn(x, pad_to=7)
    assert out.shape == (7, 2, 25, 3)
    for t in range(3, 7):
        np.testing.assert_array_equal(out[t], out[t % 3])
    np.testing.assert_allclose(nz.agcn(x), out[:3], atol=1e-7)
    with pytest.raises(ValueError, match="shorter"):
        nz.agcn(x, pad_to=2)


def test_agcn_pads_a_body_that_leaves_and_compacts_a_late_body():
    x = skeleton(UPRIGHT_Y, [(0, 0, 0)] * 5)
    x[:, 0, 3, 2] = np.arange(5)  # body 0: distinguishable frames
    x[2:4, 1, 7] = [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]  # body 1 only in frames 2 and 3
    out = nz.agcn(x)
    # body 1 moved to frames 0-1 then looped: frames 0, 1, 0, 1, 0 of its own track.
    raw_b1 = [1.0, 2.0, 1.0, 2.0, 1.0]
    for t in range(5):
        assert np.count_nonzero(out[t, 1].any(axis=-1)) == 1
    back = np.linalg.inv(alignment_rotation([0, 1, 0], [0, 0, 1]))
    for t in range(5):
        centre = x[t, 0, 1]
        np.testing.assert_allclose(back @ out[t, 1, 7] + centre, (raw_b1[t], 0, 0), atol=1e-6)


def test_pyskl_drops_empty_frames_and_centres_on_the_first_frame():
    x = skeleton(UPRIGHT_Y, [(2.0, 3.0, 4.0), (0, 0, 0), (2.5, 3.0, 4.0)])
    x[1] = 0  # body 0 absent in frame 1
    out = nz.pyskl(x, align_spine=False)
    assert out.shape == (2, 2, 25, 3)
    np.testing.assert_allclose(out[0, 0, 3], UPRIGHT_Y[3], atol=1e-6)
    # one centre (frame 0's SpineMid) for all frames: frame 2 keeps its 0.5 shift in x
    np.testing.assert_allclose(out[1, 0, 3], np.add(UPRIGHT_Y[3], (0.5, 0, 0)), atol=1e-6)
    assert np.all(out[:, 0, 10] == 0) and np.all(out[:, 1] == 0)
    rotated = nz.pyskl(x)
    spine = rotated[0, 0, 1] - rotated[0, 0, 0]
    np.testing.assert_allclose(spine / np.linalg.norm(spine), [0, 0, 1], atol=1e-6)


def test_pyskl_swaps_bodies_when_body1_has_more_frames():
    x = np.zeros((3, 2, 25, 3), np.float32)
    x[0, 0, :] = 1.0
    x[:, 1, :] = 2.0
    x[:, 1, 1] = 3.0
    out = nz.pyskl(x, align_spine=False)
    assert out.shape == (3, 2, 25, 3)
    np.testing.assert_allclose(out[:, 0, 0], -1.0)  # former body 1 minus its SpineMid (3)
    np.testing.assert_allclose(out[0, 1, 0], -2.0)  # former body 0 in frame 0
    assert np.all(out[1:, 1] == 0)


def test_ctrgcn_translation_from_first_nonzero_frame():
    x = np.zeros((3, 2, 25, 3), np.float32)
    x[1:, 0] = 1.0
    x[1:, 0, 1] = (2.0, 3.0, 4.0)  # origin: SpineMid of body 0 at frame 1
    x[0, 1] = 5.0
    out = nz.ctrgcn(x)
    assert np.all(out[0, 0] == 0)  # body 0 missing in frame 0 stays missing
    np.testing.assert_allclose(out[0, 1, 0], (3.0, 2.0, 1.0))
    np.testing.assert_allclose(out[2, 0, 1], 0.0)
    np.testing.assert_allclose(out[2, 0, 0], (-1.0, -2.0, -3.0))
    assert np.all(out[1:, 1] == 0)


def test_aimclr_centres_per_body_and_turns_shoulders_onto_x():
    x = np.zeros((2, 2, 25, 3), np.float32)
    x[:, :, 0] = 1.0  # joint 0 present in both frames (it sets the valid length)
    x[:, 0, 20] = (1.0, 1.0, 1.0)
    x[:, 0, 4] = (1.0, 1.0, 0.0)  # right - left shoulder = (0, 0, 2)
    x[:, 0, 8] = (1.0, 1.0, 2.0)
    x[:, 1, 20] = (3.0, 0.0, 0.0)
    out = nz.aimclr(x, t_length=None)
    # theta = -arccos(0) because sum z >= 0: (x, y, z) -> (z, y, -x)
    np.testing.assert_allclose(out[0, 0, 8] - out[0, 0, 4], (2.0, 0.0, 0.0), atol=1e-6)
    np.testing.assert_allclose(out[0, 0, 4], (-1.0, 0.0, 0.0), atol=1e-6)
    np.testing.assert_allclose(out[0, 1, 20], 0.0, atol=1e-6)  # body 1 uses its own centre
    resized = nz.aimclr(x)
    assert resized.shape == (50, 2, 25, 3)
    np.testing.assert_allclose(resized[17], out[0], atol=1e-6)
    with pytest.raises(ValueError, match="20-joint"):
        nz.aimclr(np.zeros((2, 1, 20, 3), np.float32))
    assert nz.aimclr(np.zeros((2, 1, 20, 3), np.float32), center_joint=2).shape == (50, 1, 20, 3)


def test_aimclr_rotation_sign_is_chosen_per_sequence():
    x = np.zeros((2, 1, 25, 3), np.float32)
    x[:, 0, 0] = 1.0
    x[0, 0, 8] = (0.0, 0.0, 3.0)  # z sum = 3 - 1 >= 0: negative angle for both frames
    x[1, 0, 8] = (0.0, 0.0, -1.0)
    out = nz.aimclr(x, center_joint=0, t_length=None)
    np.testing.assert_allclose(out[0, 0, 8] - out[0, 0, 4], (3.0, 0, 0), atol=1e-3)
    np.testing.assert_allclose(out[1, 0, 8] - out[1, 0, 4], (-1.0, 0, 0), atol=1e-3)  # quirk


def test_ctrgcn_ucla_range():
    x = np.random.default_rng(0).standard_normal((6, 1, 20, 3)).astype(np.float32)
    out = nz.ctrgcn_ucla(x)
    np.testing.assert_allclose(out.reshape(-1, 3).min(axis=0), -1.0, atol=1e-6)
    np.testing.assert_allclose(out.reshape(-1, 3).max(axis=0), 1.0, atol=1e-6)


def test_alignment_rotation():
    rng = np.random.default_rng(3)
    for _ in range(20):
        v, t = rng.standard_normal(3), rng.standard_normal(3)
        r = alignment_rotation(v, t)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(r) == pytest.approx(1.0)
        np.testing.assert_allclose(r @ v, np.linalg.norm(v) * t / np.linalg.norm(t), atol=1e-9)
    np.testing.assert_array_equal(alignment_rotation([0, 0, -1], [0, 0, 1]), np.eye(3))
    np.testing.assert_array_equal(alignment_rotation([0, 0, 0], [0, 0, 1]), np.eye(3))
