"""ASMa's masked streams: counts, motion ordering, per-sample reproducibility, pairings per encoder."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.data import transforms as T
from actionkit.data.masking import VIEWS, ASMaMasking, frame_mask, joint_mask, mask_frames, mask_joints, pairing
from actionkit.kernels.motion_scores import motion_scores, topk_frames
from actionkit.layouts import NTU25


def clip(frames: int = 40, seed: int = 0) -> np.ndarray:
    """A ``[T, 2, 25, 3]`` clip with no zero coordinate (so zeros mark masked entries)."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=(frames, 2, 25, 3)).astype(np.float32)


def zero_joints(x: np.ndarray) -> np.ndarray:
    return np.flatnonzero((x == 0).all(axis=(0, 1, 3)))


def zero_frames(x: np.ndarray) -> np.ndarray:
    return np.flatnonzero((x == 0).all(axis=(1, 2, 3)))


@pytest.mark.parametrize("mode", ["asymmetric", "symmetric", "random"])
def test_exactly_n_distinct_joints_and_k_frames_are_zeroed(mode):
    masking = ASMaMasking(NTU25.degrees, frames=30, joints_masked=9, frames_masked=10, mode=mode,
                          augment=T.Compose([T.TemporalCropResize((0.5, 1.0), 30, min_length=30),
                                             T.RandomRotation()]))  # fmt: skip
    for s in range(20):
        views, masks = masking.streams(clip(seed=s), np.random.default_rng(s))
        assert len(views) == len(VIEWS) and all(v.shape == (30, 2, 25, 3) for v in views)
        assert zero_joints(views[0]).size == 0 and zero_frames(views[0]).size == 0  # the anchor is whole
        for enc, (j, f) in (("theta", (1, 2)), ("phi", (3, 4))):
            assert masks[enc].joints.sum() == 9 and masks[enc].frames.sum() == 10
            np.testing.assert_array_equal(zero_joints(views[j]), np.flatnonzero(masks[enc].joints))
            np.testing.assert_array_equal(zero_frames(views[f]), np.flatnonzero(masks[enc].frames))
            assert zero_frames(views[j]).size == 0 and zero_joints(views[f]).size == 0


def test_a_frame_with_more_motion_is_masked_by_hmtm_never_by_lmtm():
    x = clip(frames=30) * 0.01
    x[17] += 5.0  # frames 16 (into 17) and 17 (out of 17) move the most
    scores = motion_scores(x)
    assert scores[16] > np.delete(scores, [16, 17]).max()
    rng = np.random.default_rng(0)
    for k in range(1, 28):
        high, low = frame_mask(x, k, "high", rng), frame_mask(x, k, "low", rng)
        assert high[16] and not low[16]
        assert high.sum() == low.sum() == k
    # eq. 3-4: the mean absolute displacement over bodies, joints and channels
    np.testing.assert_allclose(scores[3], np.abs(x[4] - x[3]).mean(), rtol=1e-6)


def test_masks_are_reproducible_from_the_sample_generator():
    masking = ASMaMasking(NTU25.degrees, frames=30, augment=T.TemporalCropResize((0.5, 1.0), 30, min_length=30))
    x = clip()
    a = masking(x, np.random.default_rng([7, 0, 3]))
    b = masking(x, np.random.default_rng([7, 0, 3]))
    c = masking(x, np.random.default_rng([7, 1, 3]))
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not all(np.array_equal(u, v) for u, v in zip(a, c))


def star_degrees() -> np.ndarray:
    """Degrees where high-degree sampling can only pick joint 0 and low-degree never can."""
    d = np.zeros(25, dtype=np.int64)
    d[0] = 4
    return d


def test_asymmetric_pairing_per_encoder():
    masking = ASMaMasking(star_degrees(), frames=30, joints_masked=1, frames_masked=10, mode="asymmetric")
    x = clip()
    x_hat = masking._resampled(x)  # no augmentation: x' = x_hat = the resampled clip
    scores = motion_scores(x_hat)
    for s in range(20):
        views, masks = masking.streams(x, np.random.default_rng(s))
        # f_theta: high-degree joints (HDSM), low-motion frames (LMTM)
        assert np.flatnonzero(masks["theta"].joints).tolist() == [0]
        np.testing.assert_array_equal(masks["theta"].frames, topk_frames(scores, 10, largest=False))
        # f_phi: low-degree joints (LDSM), high-motion frames (HMTM)
        assert not masks["phi"].joints[0] and masks["phi"].joints.sum() == 1
        np.testing.assert_array_equal(masks["phi"].frames, topk_frames(scores, 10, largest=True))
        np.testing.assert_array_equal(views[1], mask_joints(x_hat, masks["theta"].joints))
        np.testing.assert_array_equal(views[4], mask_frames(x_hat, masks["phi"].frames))


def test_symmetric_and_random_pairings():
    assert pairing("asymmetric") == {"theta": ("high", "low"), "phi": ("low", "high")}
    assert pairing("symmetric") == {"theta": ("high", "high"), "phi": ("low", "low")}
    x = clip()
    sym = ASMaMasking(star_degrees(), frames=30, joints_masked=1, frames_masked=10, mode="symmetric")
    scores = motion_scores(sym._resampled(x))
    _, masks = sym.streams(x, np.random.default_rng(0))
    assert masks["theta"].joints[0] and not masks["phi"].joints[0]
    np.testing.assert_array_equal(masks["theta"].frames, topk_frames(scores, 10, largest=True))
    np.testing.assert_array_equal(masks["phi"].frames, topk_frames(scores, 10, largest=False))
    rnd = ASMaMasking(star_degrees(), frames=30, joints_masked=1, frames_masked=10, mode="random")
    picked, frames = set(), set()
    for s in range(40):
        _, masks = rnd.streams(x, np.random.default_rng(s))
        for enc in ("theta", "phi"):
            picked.add(int(np.flatnonzero(masks[enc].joints)[0]))
            frames.add(tuple(np.flatnonzero(masks[enc].frames)))
    assert len(picked) > 10 and len(frames) > 40  # uniform joints (degree 0 included) and frames


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="valid: asymmetric, symmetric, random"):
        ASMaMasking(NTU25.degrees, mode="diagonal")
    with pytest.raises(ValueError, match="cannot mask 26 of 25 joints"):
        ASMaMasking(NTU25.degrees, joints_masked=26)
    with pytest.raises(ValueError, match="cannot mask 60 of 50 frames"):
        ASMaMasking(NTU25.degrees, frames=50, frames_masked=60)
    with pytest.raises(ValueError, match="valid: high, low, random"):
        joint_mask(NTU25.degrees, 3, "middle", np.random.default_rng(0))
    with pytest.raises(ValueError, match="20 joints"):
        ASMaMasking(NTU25.degrees[:20])(clip(), np.random.default_rng(0))
