"""Motion / bone kernels against slow references, and every kernel in forked workers."""

import multiprocessing

import numpy as np
import pytest

from actionkit.kernels import masks, motion_scores, resample, streams
from actionkit.layouts import NTU25


def slow_motion(x):
    out = np.zeros_like(x)
    for t in range(x.shape[0] - 1):
        out[t] = x[t + 1] - x[t]
    return out


def slow_bone(x, parents):
    out = np.zeros_like(x)
    for v, p in enumerate(parents):
        out[:, :, v, :] = x[:, :, v, :] - x[:, :, p, :]
    return out


def make_stream(rng, lengths, gap=3):
    """Samples of the given lengths concatenated, with `gap` unused frames after each."""
    starts, pos = [], 0
    for n in lengths:
        starts.append(pos)
        pos += n + gap
    stream = rng.standard_normal((pos, 2, 25, 3)).astype(np.float32)
    return stream, np.array(starts), np.array(lengths)


@pytest.mark.parametrize("t_len", [1, 2, 37])
def test_motion_matches_reference(t_len):
    x = np.random.default_rng(t_len).standard_normal((t_len, 2, 25, 3)).astype(np.float32)
    out = streams.motion(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_array_equal(out, slow_motion(x))
    assert np.all(out[-1] == 0)


def test_bone_matches_reference_and_accepts_float64():
    x = np.random.default_rng(1).standard_normal((9, 2, 25, 3))
    out = streams.bone(x, NTU25.parents)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, slow_bone(x.astype(np.float32), NTU25.parents))


def test_ragged_streams_do_not_cross_samples():
    rng = np.random.default_rng(2)
    stream, starts, frames = make_stream(rng, [5, 1, 12, 7])
    mot = streams.motion_ragged(stream, starts, frames)
    bon = streams.bone_ragged(stream, starts, frames, NTU25.parents)
    covered = np.zeros(stream.shape[0], dtype=bool)
    for s, n in zip(starts, frames):
        np.testing.assert_array_equal(mot[s : s + n], slow_motion(stream[s : s + n]))
        np.testing.assert_array_equal(bon[s : s + n], slow_bone(stream[s : s + n], NTU25.parents))
        assert np.all(mot[s + n - 1] == 0)
        covered[s : s + n] = True
    assert np.all(mot[~covered] == 0) and np.all(bon[~covered] == 0)


def test_ragged_accepts_unsorted_and_empty_samples():
    rng = np.random.default_rng(3)
    stream, starts, frames = make_stream(rng, [4, 0, 6], gap=0)
    order = [2, 0, 1]
    a = streams.motion_ragged(stream, starts[order], frames[order])
    b = streams.motion_ragged(stream, starts, frames)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "starts, frames, message",
    [
        ([0, 3], [4, 2], "overlap"),
        ([0], [11], "past the end"),
        ([-1], [2], "non-negative"),
        ([0, 1], [1], "differ in length"),
    ],
)
def test_ragged_validation(starts, frames, message):
    stream = np.zeros((10, 1, 25, 3), np.float32)
    with pytest.raises(ValueError, match=message):
        streams.motion_ragged(stream, np.array(starts), np.array(frames))


def test_shape_and_parent_validation():
    with pytest.raises(ValueError, match="4 dimensions"):
        streams.motion(np.zeros((3, 25, 3)))
    with pytest.raises(ValueError, match="entries"):
        streams.bone(np.zeros((3, 1, 25, 3)), (0, 1))
    with pytest.raises(ValueError, match="outside"):
        streams.bone(np.zeros((3, 1, 2, 3)), (0, 2))


def _all_kernel_outputs(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((40, 2, 25, 3)).astype(np.float32)
    stream, starts, frames = make_stream(rng, [10, 20, 5])
    scores = motion_scores.motion_scores(x)
    return [
        streams.motion(x),
        streams.bone(x, NTU25.parents),
        streams.motion_ragged(stream, starts, frames),
        streams.bone_ragged(stream, starts, frames, NTU25.parents),
        scores,
        motion_scores.motion_scores_batch(x[None].repeat(3, axis=0)),
        motion_scores.topk_frames(scores, 10, largest=True),
        motion_scores.topk_frames(scores, 10, largest=False),
        masks.degree_masks(NTU25.degrees, 9, 128, seed, mode="high"),
        masks.degree_masks(NTU25.degrees, 9, 128, seed, mode="low"),
        resample.crop_resize(x, 3, 30, 64),
        resample.crop_resize_batch(stream, starts + 1, frames - 1, 16),
    ]


def test_all_kernels_match_parent_in_forked_workers():
    parent = [_all_kernel_outputs(s) for s in (11, 12)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        children = pool.map(_all_kernel_outputs, [11, 12])
    for got, want in zip(children, parent):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
