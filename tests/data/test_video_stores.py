"""Clips of stores built by ``actionkit prepare`` from the real clips: video files and stored RGB differences."""

from __future__ import annotations

import hashlib

import av
import numpy as np
import pytest
from rawvideo import kinetics_download
from typer.testing import CliRunner

from actionkit.cli.main import app
from actionkit.data.video import VideoClipDataset, stack_stored_rgbdiff
from actionkit.data.video_transforms import CentreCrop, to_tensor_layout
from actionkit.video.rgbdiff import RGBDifference, encode_rgbdiff, rgb_difference


class Fixed:
    """A sampler giving fixed frame indices (one view)."""

    def __init__(self, *frames: int):
        self.frames = np.array([frames])

    def __call__(self, n, rng):
        return self.frames


def prepare(raw, out, *extra):
    result = CliRunner().invoke(app, ["prepare", "kinetics400", "--raw", str(raw), "--annotations",
                                      str(raw / "annotations"), "--out", str(out), "--workers", "1", *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def download(tmp_path_factory):
    return kinetics_download(tmp_path_factory.mktemp("k400"), train_per_class=2, val_per_class=1)


@pytest.fixture(scope="module")
def video_store(download, tmp_path_factory):
    """The default: clips kept as their files (the ``video`` stream)."""
    return prepare(download, tmp_path_factory.mktemp("vs") / "k400.zarr")


@pytest.fixture(scope="module")
def diff_store(download, tmp_path_factory):
    """The first two clips (what the test reads) with a stored RGB difference."""
    return prepare(download, tmp_path_factory.mktemp("ds") / "k400.zarr", "--streams", "rgb,rgbdiff",
                   "--short-side", "64", "--limit", "2")


@pytest.fixture(scope="module")
def rgb_store(download, tmp_path_factory):
    """The same two clips, RGB alone."""
    return prepare(download, tmp_path_factory.mktemp("rs") / "k400.zarr", "--streams", "rgb", "--short-side", "64",
                   "--limit", "2")


def decoded(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def test_rgb_and_its_difference_come_from_the_video_files(video_store, download):
    from actionkit import open_store

    store = open_store(video_store)
    assert store.stream_names == ("video",)
    by_content: dict[str, np.ndarray] = {}  # the download's clips are copies of two files: decode each once
    for index in range(len(store)):
        name = str(store.samples["name"][index])
        clip = next(download.rglob(f"{name}.*"))
        digest = hashlib.sha256(clip.read_bytes()).hexdigest()
        frames = by_content[digest] if digest in by_content else by_content.setdefault(digest, decoded(clip))
        last = len(frames) - 1
        ds = VideoClipDataset(video_store, [index], ("rgb", "rgbdiff"), Fixed(3, 50, last), seed=0)
        x = ds[0]["inputs"]
        np.testing.assert_array_equal(x["rgb"].numpy(), to_tensor_layout({"rgb": frames[[3, 50, last]]})["rgb"])
        groups = np.minimum(np.array([3, 50, last])[:, None] + np.arange(6), last).reshape(-1)
        expected = RGBDifference(6)(frames[groups]).transpose(1, 0, 2, 3)
        np.testing.assert_allclose(x["rgbdiff"].numpy(), expected, atol=1e-6)
        assert not x["rgbdiff"][:, 2].any()  # past the last frame: the differences of a clamped frame, zero


def test_flow_from_a_video_store_says_what_to_prepare(video_store):
    with pytest.raises(KeyError, match="no flow stream.*--streams rgb,flow"):
        VideoClipDataset(video_store, [0], ("rgb", "flow"), Fixed(0))


def test_stored_rgbdiff_is_stacked_like_the_one_computed_from_rgb(diff_store, rgb_store):
    """The same frames give a (15, K, H, W) input from either source.

    Both pass through JPEG (the stored difference once, the RGB frames it is computed from
    twice), so they agree to a few levels: far closer than a difference one frame later.
    """
    from actionkit import open_store

    names = [open_store(s).samples["name"].tolist() for s in (diff_store, rgb_store)]
    assert len(names[0]) == 2 and names[0] == names[1]
    stored = VideoClipDataset(diff_store, [0, 1], ("rgbdiff",), Fixed(0, 40, 100), CentreCrop(48), diff_frames=6)
    computed = VideoClipDataset(rgb_store, [0, 1], ("rgb", "rgbdiff"), Fixed(0, 40, 100), CentreCrop(48),
                                diff_frames=6)
    assert stored.sources["rgbdiff"] == "rgbdiff" and computed.sources["rgbdiff"] is None
    shifted = VideoClipDataset(rgb_store, [0, 1], ("rgb", "rgbdiff"), Fixed(1, 41, 101), CentreCrop(48),
                               diff_frames=6)
    for i in range(2):
        a, b = stored[i]["inputs"]["rgbdiff"].numpy(), computed[i]["inputs"]["rgbdiff"].numpy()
        assert a.shape == b.shape == (15, 3, 48, 48)
        aligned, off_by_one = np.abs(a - b).mean(), np.abs(a - shifted[i]["inputs"]["rgbdiff"].numpy()).mean()
        assert aligned < 5 / 255 and aligned < 0.6 * off_by_one, (aligned * 255, off_by_one * 255)
        assert np.corrcoef(a.reshape(-1), b.reshape(-1))[0, 1] > 0.8


def test_stacking_is_exact_up_to_the_stored_bit():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(12, 5, 7, 3), dtype=np.uint8)  # two groups of 6 consecutive frames
    computed = RGBDifference(6)(frames).transpose(1, 0, 2, 3)
    levels = np.concatenate([encode_rgbdiff(rgb_difference(frames[g * 6:(g + 1) * 6])) for g in range(2)])
    stacked = stack_stored_rgbdiff(levels, 6)
    assert stacked.shape == computed.shape == (15, 2, 5, 7)
    assert np.abs(stacked - computed).max() <= 1 / 255 + 1e-7
    with pytest.raises(ValueError, match="RGB-difference levels"):
        stack_stored_rgbdiff(levels[:7], 6)
