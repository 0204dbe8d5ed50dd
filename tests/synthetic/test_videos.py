"""The generated RGB-D motion clips: classes, shapes, directions and the NW-UCLA layout."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit.synthetic.videos import CLASS_SETS, motion_clip, write_motion_videos


def _patch_centres(depth: list[np.ndarray]) -> np.ndarray:
    """Centre (y, x) of the near patch in every depth map, ``[T, 2]``."""
    centres = []
    for d in depth:
        ys, xs = np.nonzero((d > 0) & (d < 2400))
        centres.append((ys.mean(), xs.mean()))
    return np.array(centres)


@pytest.mark.parametrize("classes", list(CLASS_SETS))
def test_clip_shapes_and_dtypes(classes):
    rgb, depth = motion_clip(0, frames=6, height=48, width=64, rng=np.random.default_rng(0), classes=classes)
    assert len(rgb) == len(depth) == 6
    assert rgb[0].shape == (48, 64, 3) and rgb[0].dtype == np.uint8
    assert depth[0].shape == (48, 64) and depth[0].dtype == np.uint16


@pytest.mark.parametrize(("classes", "label", "sign"), [
    ("motion", 0, -1), ("motion", 1, 1),
    ("shape-motion", 0, -1), ("shape-motion", 1, 1), ("shape-motion", 2, -1), ("shape-motion", 3, 1),
])  # fmt: skip
def test_up_and_down_move_the_patch_that_way(classes, label, sign):
    for seed in range(3):
        _, depth = motion_clip(label, frames=12, rng=np.random.default_rng(seed), classes=classes)
        centres = _patch_centres(depth)
        dy, dx = centres[-1] - centres[0]
        assert np.sign(dy) == sign and abs(dy) > 10, (seed, dy)
        assert abs(dx) < 1.5, (seed, dx)


def test_shape_motion_patches_are_squares_and_bars():
    """Both fill their bounding box; a square's is as tall as wide, a bar's 0.4 times."""
    for label, aspect in [(0, 1.0), (1, 1.0), (2, 0.4), (3, 0.4)]:
        _, depth = motion_clip(label, frames=2, rng=np.random.default_rng(label), classes="shape-motion")
        ys, xs = np.nonzero((depth[0] > 0) & (depth[0] < 2400))
        h, w = np.ptp(ys) + 1, np.ptp(xs) + 1
        assert len(ys) / (h * w) > 0.97, label
        assert h / w == pytest.approx(aspect, abs=0.1), label


def test_default_set_is_unchanged_by_the_class_set_option():
    a = motion_clip(3, frames=4, rng=np.random.default_rng(7))
    b = motion_clip(3, frames=4, rng=np.random.default_rng(7), classes="motion")
    assert all((x == y).all() for x, y in zip(a[0] + a[1], b[0] + b[1]))


def test_bad_label_and_class_set_are_named():
    with pytest.raises(ValueError, match="label 4 is not one of 0..3"):
        motion_clip(4, classes="shape-motion")
    with pytest.raises(ValueError, match="unknown class set 'shapes'"):
        motion_clip(0, classes="shapes")
    with pytest.raises(ValueError, match="unknown class set"):
        write_motion_videos("unused", classes="shapes")


def test_files_follow_the_nwucla_rgbd_layout(tmp_path):
    base = write_motion_videos(tmp_path, clips_per_view=1, frames=3, height=24, width=32, seed=1,
                               classes="shape-motion")
    clips = sorted(p.relative_to(base).as_posix() for p in base.glob("view_*/a*_s*_e*"))
    assert clips == [f"view_{v}/a{a:02d}_s01_e00" for v in (1, 2, 3) for a in (1, 2, 3, 4)]
    names = sorted(p.name for p in (base / "view_1" / "a03_s01_e00").iterdir())
    assert names[:2] == ["frame_0_tc_1000_rgb.jpg", "frame_0_tc_1011_depth.png"]
    assert len(names) == 6
