"""Skeleton drawings of a generated store: GIF frames, MP4, and the PNG strip."""

import numpy as np
import pytest
from PIL import Image, ImageSequence

from actionkit import open_store
from actionkit.results.skeleton_view import (
    animation_frames,
    bones,
    skeleton_sheet,
    write_animation,
    write_png,
)


@pytest.fixture(scope="module")
def skeleton(store):
    return open_store(store)


def test_bones_join_every_joint_but_the_centre_to_its_parent():
    assert bones((1, 1, 1, 2), center=1).tolist() == [[0, 1], [2, 1], [3, 2]]


def test_gif_has_one_frame_per_sample_frame_and_the_bodies_drawn(skeleton, tmp_path):
    frames = animation_frames(skeleton, 0, max_frames=12)
    assert len(frames) == min(int(skeleton.samples["frames"][0]), 12)
    path = write_animation(frames, tmp_path / "s.gif")
    with Image.open(path) as gif:
        read = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    assert len(read) == len(frames)
    assert read[0].shape == frames[0].shape
    blue = (np.abs(read[0].astype(int) - [31, 119, 180]).sum(-1) < 40).sum()  # body 0's bones
    assert blue > 50
    assert any(np.any(a != b) for a, b in zip(read, read[1:]))  # it moves


def test_sheet_and_mp4(skeleton, tmp_path):
    image = skeleton_sheet(skeleton, 1, columns=6)
    assert image.shape == (400, round(1.6 * 6 * 100), 3)
    assert (image.sum(-1) < 600).mean() > 0.005
    write_png(image, tmp_path / "sheet.png")
    mp4 = write_animation(animation_frames(skeleton, 1, max_frames=6), tmp_path / "s.mp4")
    assert mp4.stat().st_size > 1000
    with pytest.raises(ValueError, match="write .gif or .mp4"):
        write_animation([image], tmp_path / "s.avi")
