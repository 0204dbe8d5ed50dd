"""Video datasets over a store: aligned indices across modalities, shared crops, test views, loaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rawvideo import real_frames, write_nwucla_clip

from actionkit import open_store
from actionkit.data.clip_sampling import SegmentSampler
from actionkit.data.video import VideoClipDataset, video_loader
from actionkit.data.video_transforms import CentreCrop, Compose, HorizontalFlip, MultiScaleCrop, ThreeCrop
from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.sources.nwucla_video import NWUCLAVideoSource


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("video-data")
    frames = real_frames(12)
    write_nwucla_clip(tmp / "raw", 1, "a01_s01_e01", frames[:10])
    write_nwucla_clip(tmp / "raw", 3, "a02_s01_e01", frames[2:12])
    prepare_video(NWUCLAVideoSource(tmp / "raw"), tmp / "s.zarr", streams=("rgb", "depth", "flow"),
                  settings=VideoSettings(short_side=48, min_frames=2), workers=1)
    return tmp / "s.zarr"


def test_training_item_shapes_and_alignment(store):
    ds = VideoClipDataset(store, [0, 1], ("rgb", "flow", "depth", "rgbdiff"), SegmentSampler(4),
                          Compose([MultiScaleCrop(32), HorizontalFlip()]), seed=3)
    item = ds[0]
    x = item["inputs"]
    assert x["rgb"].shape == (3, 4, 32, 32) and x["flow"].shape == (2, 4, 32, 32)
    assert x["depth"].shape == (1, 4, 32, 32) and x["rgbdiff"].shape == (15, 4, 32, 32)
    assert item["label"] == 0 and x["rgb"].dtype == torch.float32
    assert x["rgbdiff"].abs().max() <= 1.0
    # Same seed, epoch and item: the same clip; another epoch: (almost surely) another.
    again = ds[0]["inputs"]["rgb"]
    assert torch.equal(again, x["rgb"])
    ds.set_epoch(1)
    assert not all(torch.equal(ds[0]["inputs"][m], x[m]) for m in ("rgb", "flow"))


def test_frames_are_the_same_instant_in_every_modality(store):
    st = open_store(store)

    class Fixed:
        def __init__(self, frames):
            self.frames = frames

        def __call__(self, n, rng):
            assert n == self.frames  # with flow, 9 of the 10 frames: indices are drawn over those
            return np.array([[0, 4, 8]])

    ds = VideoClipDataset(store, [0], ("rgb", "depth"), Fixed(10))
    x = ds[0]["inputs"]
    raw_depth = st.images(0, "depth", [0, 4, 8]).astype(np.float32) / 8000.0
    np.testing.assert_allclose(x["depth"][0].numpy(), raw_depth)
    ds_flow = VideoClipDataset(store, [0], ("rgb", "flow"), Fixed(9))
    assert ds_flow[0]["inputs"]["flow"].shape[1] == 3


def test_test_views_stack_temporal_then_spatial(store):
    ds = VideoClipDataset(store, [0, 1], ("rgb",), SegmentSampler(4, train=False, clips=2), ThreeCrop(40))
    x = ds[1]["inputs"]["rgb"]
    assert x.shape == (6, 3, 4, 40, 40)
    centre = VideoClipDataset(store, [0, 1], ("rgb",), SegmentSampler(4, train=False), CentreCrop(40))
    assert centre[1]["inputs"]["rgb"].shape == (3, 4, 40, 40)


def test_loader_with_forkserver_workers(store):
    ds = VideoClipDataset(store, [0, 1], ("rgb", "flow"), SegmentSampler(2), CentreCrop(32))
    batches = list(video_loader(ds, 2, shuffle=True, workers=2))
    assert len(batches) == 1 and batches[0]["inputs"]["flow"].shape == (2, 2, 2, 32, 32)
    assert sorted(batches[0]["index"].tolist()) == [0, 1]


def test_unknown_modality_is_named(store):
    with pytest.raises(KeyError, match="no audio stream"):
        VideoClipDataset(store, [0], ("audio",), SegmentSampler(2))


def test_stacked_flow_channels_are_frame_major(store):
    ds = VideoClipDataset(store, [0], ("flow",), SegmentSampler(2, 3, train=False), stack={"flow": 3})
    x = ds[0]["inputs"]["flow"]
    assert x.shape == (6, 2, 48, 64)
    flat = VideoClipDataset(store, [0], ("flow",), SegmentSampler(2, 3, train=False))[0]["inputs"]["flow"]
    assert flat.shape == (2, 6, 48, 64)
    # Segment 1, pair 2: x is channel 2 * 2 + 0, y channel 2 * 2 + 1; flat frame 1 * 3 + 2.
    assert torch.equal(x[4, 1], flat[0, 5]) and torch.equal(x[5, 1], flat[1, 5])


def test_stacked_flow_stays_aligned_with_rgb_and_rgbdiff(store):
    # The sampler takes 3 consecutive frames per position; flow stacks them, rgb and the
    # computed RGB difference start at the first of each group.
    both = VideoClipDataset(store, [0], ("rgb", "flow", "rgbdiff"), SegmentSampler(2, 3, train=False),
                            stack={"flow": 3}, diff_frames=3)[0]["inputs"]
    assert both["flow"].shape == (6, 2, 48, 64) and both["rgb"].shape == (3, 2, 48, 64)
    assert both["rgbdiff"].shape == (6, 2, 48, 64)
    starts = SegmentSampler(2, 3, train=False)(9)[0][::3]  # flow frames of sample 0: 10 - 1
    rgb = VideoClipDataset(store, [0], ("rgb",), lambda n, rng: starts[None])[0]["inputs"]["rgb"]
    assert torch.equal(both["rgb"], rgb)
    with pytest.raises(ValueError, match="share one group length"):
        VideoClipDataset(store, [0], ("flow", "rgbdiff"), SegmentSampler(2), stack={"flow": 5, "rgbdiff": 2})


def test_modality_offset_shifts_the_modalities_with_every_frame(store):
    """MML's xi: flow (9 of 10 frames) reads the drawn indices, rgb and depth those + xi, xi in {0, 1}."""
    st = open_store(store)

    def fixed(n, rng):
        assert n == 9
        return np.array([[0, 4, 8]])

    ds = VideoClipDataset(store, [0], ("rgb", "depth", "flow"), fixed, modality_offset=True)
    raw = st.images(0, "depth", np.arange(10)).astype(np.float32) / 8000.0
    shifts = set()
    for epoch in range(12):
        ds.set_epoch(epoch)
        x = ds[0]["inputs"]
        got = x["depth"][0].numpy()
        xi = next(s for s in (0, 1) if np.allclose(got, raw[[0 + s, 4 + s, 8 + s]]))
        shifts.add(xi)
        rgb = VideoClipDataset(store, [0], ("rgb",), lambda n, rng: np.array([[0 + xi, 4 + xi, 8 + xi]]))[0]
        np.testing.assert_array_equal(x["rgb"].numpy(), rgb["inputs"]["rgb"].numpy())
        flow = VideoClipDataset(store, [0], ("flow",), lambda n, rng: np.array([[0, 4, 8]]))[0]
        np.testing.assert_array_equal(x["flow"].numpy(), flow["inputs"]["flow"].numpy())
    assert shifts == {0, 1}
    plain = VideoClipDataset(store, [0], ("rgb", "depth", "flow"), fixed)
    np.testing.assert_allclose(plain[0]["inputs"]["depth"][0].numpy(), raw[[0, 4, 8]])
