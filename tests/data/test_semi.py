"""Class-balanced labelled subsets and semi-supervised clip items."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.data.clip_sampling import StridedClipSampler
from actionkit.data.semi import SemiSupervisedClips, balanced_subset
from actionkit.data.video_transforms import CentreCrop


def test_balanced_subset_per_class_and_seeded():
    labels = np.repeat(np.arange(5), [10, 10, 10, 10, 2])
    chosen = balanced_subset(labels, 3, seed=0)
    assert np.bincount(labels[chosen]).tolist() == [3, 3, 3, 3, 2]  # all of a small class
    np.testing.assert_array_equal(chosen, balanced_subset(labels, 3, seed=0))
    assert not np.array_equal(chosen, balanced_subset(labels, 3, seed=1))
    with pytest.raises(ValueError):
        balanced_subset(labels, 0, seed=0)


def test_items_pair_one_labelled_with_mu_unlabelled(video_store):
    crop = CentreCrop(24)
    ds = SemiSupervisedClips(video_store, np.array([0, 4]), np.array([1, 2, 3, 5, 6, 7]), 3,
                             StridedClipSampler(4, 2), StridedClipSampler(8, 1), crop, crop, crop, seed=0)
    assert len(ds) == 2
    item = ds[1]
    assert item["labelled"]["primary"].shape == (3, 4, 24, 24) and item["labelled"]["aux"].shape == (3, 8, 24, 24)
    u = item["unlabelled"]
    assert u["weak_primary"].shape == (3, 3, 4, 24, 24) and u["strong_aux"].shape == (3, 3, 8, 24, 24)
    assert item["unlabelled_label"].shape == (3,) and item["index"] in (0, 4)
    # Over an epoch every unlabelled video is used once.
    labels = __import__("actionkit").open_store(video_store).samples["label"]
    seen = np.concatenate([ds[i]["unlabelled_label"].numpy() for i in range(len(ds))])
    assert sorted(seen.tolist()) == sorted(labels[[1, 2, 3, 5, 6, 7]].tolist())
    with pytest.raises(ValueError, match="at least one labelled"):
        SemiSupervisedClips(video_store, np.array([0]), np.array([1]), 3, StridedClipSampler(4, 2), None,
                            crop, crop, crop)


def test_time_offset_stays_inside_the_video(video_store):
    """A t_s longer than the video (10 s of a 10-frame clip) moves the windows apart by what the video leaves."""
    crop = CentreCrop(24)
    ds = SemiSupervisedClips(video_store, np.array([0, 4]), np.array([1, 2, 3, 5, 6, 7]), 3,
                             StridedClipSampler(4, 1), StridedClipSampler(4, 1), crop, crop, crop, offset=300)
    n = int(ds.reader.store.samples["frames"][1])
    starts = set()
    for seed in range(40):
        p = ds._clips(1, np.random.default_rng(seed))[0]
        frames = ds.reader.store.images(1, "rgb")
        first_p = int(np.argmin([np.abs(frames[k].astype(int) - p[0].astype(int)).sum() for k in range(n)]))
        first_a = int(np.argmin([np.abs(frames[k].astype(int) - p[4].astype(int)).sum() for k in range(n)]))
        starts.add(first_a - first_p)
        assert first_a + 3 < n and first_p + 3 < n  # neither window runs past the last frame
    assert max(abs(s) for s in starts) == n - 4 and len(starts) > 2
