"""Generated RGB-D videos whose classes differ only by motion, in the NW-UCLA RGB-D download's layout.

The learnability checks of the video methods (DMCL, MML, CMPL) need a dataset that a
CPU trains on in minutes and that behaves like the real ones in the way that matters
to them: appearance says nothing about the class, motion says everything, so optical
flow learns fastest (DMCL's Figure 3), depth (a clean foreground) next and RGB last.

Every clip shows a textured patch over a textured background, both with random colours,
sizes and textures; the class is how the patch moves:

=====  ====================  =========================================================
label  NW-UCLA action id     motion
=====  ====================  =========================================================
0      a01                   up
1      a02                   down
2      a03                   sideways (left or right at random: flip-invariant)
3      a04                   around a circle (either way round)
=====  ====================  =========================================================

``classes="shape-motion"`` gives a second set, for methods whose claim is about RGB
networks (MML, CMPL): half of the class is appearance, which an RGB network from scratch
learns in a few epochs, and half is the direction of motion, which it learns slowly and a
flow network at once:

=====  ====================  =========================================================
label  NW-UCLA action id     patch and motion
=====  ====================  =========================================================
0      a01                   square, up
1      a02                   square, down
2      a03                   bar (as wide as the square, 0.4 as tall), up
3      a04                   bar, down
=====  ====================  =========================================================

A network that sees frames without their order (TSN's average over frames) can tell the
shape but not up from down, so it is capped at 50% on that set.

Files are written exactly as the NW-UCLA RGB-D download names them
(``multiview_action/view_<v>/a<aa>_s<ss>_e<ee>/frame_<n>_tc_<ts>_rgb.jpg`` and
``..._depth.png``, uint16 millimetres), so ``actionkit prepare nwucla-rgbd`` builds the
store, with its cross-view split (views 1 and 2 train, view 3 tests). The store lists
NW-UCLA's ten class names; only the first four occur.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionkit.extras import require

cv2 = require("cv2", "video")

__all__ = ["CLASS_SETS", "MOTION_CLASSES", "SHAPE_MOTION_CLASSES", "write_motion_videos", "motion_clip"]

MOTION_CLASSES: tuple[str, ...] = ("up", "down", "sideways", "circle")
SHAPE_MOTION_CLASSES: tuple[str, ...] = ("square up", "square down", "bar up", "bar down")

#: ``classes`` name -> the class names, label order.
CLASS_SETS: dict[str, tuple[str, ...]] = {"motion": MOTION_CLASSES, "shape-motion": SHAPE_MOTION_CLASSES}

#: Each class of each set as (patch shape, motion: 0 up, 1 down, 2 sideways, 3 circle).
_CLASS_SPECS: dict[str, tuple[tuple[str, int], ...]] = {
    "motion": (("square", 0), ("square", 1), ("square", 2), ("square", 3)),
    "shape-motion": (("square", 0), ("square", 1), ("bar", 0), ("bar", 1)),
}


#: ImageNet's mean colour: backgrounds are tinted around it, so that a clip's mean after
#: the usual normalisation is near zero (a random per-clip offset of about one standard
#: deviation, seen through zero-padded convolutions, keeps an RGB network from scratch at
#: chance on this data for tens of epochs).
_MEAN_RGB = np.array([124.0, 116.0, 104.0], np.float32)


def _texture(rng: np.random.Generator, height: int, width: int, cells: int, contrast: tuple[float, float],
             tint_spread: float = 70.0) -> np.ndarray:
    """Random colour texture of ``cells`` blobs across, float32 ``[H, W, 3]`` in [0, 255]."""
    coarse = rng.uniform(0, 1, size=(cells, max(cells * width // height, 1), 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    tint = _MEAN_RGB + rng.uniform(-tint_spread, tint_spread, size=3).astype(np.float32)
    return np.clip(tint + (smooth - 0.5) * rng.uniform(*contrast), 0, 255)


def _path(motion: int, frames: int, height: int, width: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Top-left corner of the patch in every frame, float ``[T, 2]`` (y, x)."""
    speed = rng.uniform(1.4, 2.2) * height / 96
    t = np.arange(frames, dtype=np.float64)
    span = speed * (frames - 1)
    if motion in (0, 1):  # up / down
        x = np.full(frames, rng.uniform(0, width - size))
        y0 = rng.uniform(0, max(height - size - span, 0))
        y = y0 + speed * t if motion == 1 else y0 + span - speed * t
    elif motion == 2:  # sideways
        y = np.full(frames, rng.uniform(0, height - size))
        x0 = rng.uniform(0, max(width - size - span, 0))
        x = x0 + speed * t if rng.random() < 0.5 else x0 + span - speed * t
    else:  # circle
        radius = min(height, width) * rng.uniform(0.15, 0.22)
        cy = rng.uniform(radius, height - size - radius)
        cx = rng.uniform(radius, width - size - radius)
        direction = 1 if rng.random() < 0.5 else -1
        phase = rng.uniform(0, 2 * np.pi)
        angle = phase + direction * t * speed / radius
        y, x = cy + radius * np.sin(angle), cx + radius * np.cos(angle)
    return np.stack([y, x], axis=1)


def _bar_rows(size: int) -> tuple[int, int]:
    """The rows ``[top, bottom)`` a bar fills in its ``size x size`` box (the middle 40%)."""
    top = round(0.3 * size)
    return top, top + max(round(0.4 * size), 5)


def _shape_mask(shape: str, size: int) -> np.ndarray:
    """The patch's silhouette in its box, float32 ``[size, size]`` in [0, 1]."""
    mask = np.ones((size, size), np.float32)
    if shape == "bar":
        top, bottom = _bar_rows(size)
        mask[:top], mask[bottom:] = 0, 0
    return mask


def _outline(patch: np.ndarray, shape: str) -> None:
    """Darkens the patch's 2-pixel rim in place (the edge every frame shows)."""
    top, bottom = _bar_rows(patch.shape[0]) if shape == "bar" else (0, patch.shape[0])
    body = patch[top:bottom]
    body[:2], body[-2:], body[:, :2], body[:, -2:] = 20, 20, 20, 20


def motion_clip(label: int, frames: int = 24, height: int = 96, width: int = 128,
                rng: np.random.Generator | None = None, classes: str = "motion"
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One clip of class ``label``.

    Args:
        label: The class, an index into ``CLASS_SETS[classes]``.
        frames, height, width: Clip size.
        rng: Where every random choice comes from.
        classes: ``motion`` or ``shape-motion`` (see the module's tables).

    Returns:
        ``(rgb, depth)``: T uint8 ``[H, W, 3]`` RGB frames and T uint16 ``[H, W]`` depth maps (mm,
        0 where the sensor has no reading).
    """
    if classes not in CLASS_SETS:
        raise ValueError(f"unknown class set {classes!r}; valid: {', '.join(CLASS_SETS)}")
    names = CLASS_SETS[classes]
    if not 0 <= label < len(names):
        raise ValueError(f"label {label} is not one of 0..{len(names) - 1} ({', '.join(names)})")
    shape, motion = _CLASS_SPECS[classes][label]
    rng = rng or np.random.default_rng()
    size = int(rng.uniform(0.22, 0.32) * height)
    # A low-contrast background and a busy, outlined patch: the patch is easy to find in
    # every frame, so what RGB has to learn is how it moves, not where it is.
    background = _texture(rng, height, width, 6, (30, 70), tint_spread=20)
    patch = _texture(rng, size, size, 5, (150, 250))
    _outline(patch, shape)
    silhouette = _shape_mask(shape, size)
    far = rng.uniform(2800, 3600)
    near = rng.uniform(1400, 2200)
    yy, xx = np.mgrid[0:height, 0:width]
    plane = (far + 4 * yy + rng.uniform(-1, 1) * xx).astype(np.float32)
    corners = _path(motion, frames, height, width, size, rng)
    rgb, depth = [], []
    for y, x in corners:
        # Sub-pixel placement by an affine warp, so motion is smooth at any speed.
        shift = np.float32([[1, 0, x], [0, 1, y]])
        mask = cv2.warpAffine(silhouette, shift, (width, height))[..., None]
        moved = cv2.warpAffine(patch, shift, (width, height))
        frame = background * (1 - mask) + moved * mask + rng.normal(0, 3, size=(height, width, 3))
        rgb.append(np.clip(frame, 0, 255).astype(np.uint8))
        d = plane * (1 - mask[..., 0]) + near * mask[..., 0] + rng.normal(0, 6, size=(height, width))
        d[rng.random((height, width)) < 0.01] = 0
        depth.append(np.clip(d, 0, 65535).astype(np.uint16))
    return rgb, depth


def write_motion_videos(root: str | Path, clips_per_view: int = 6, frames: int = 24, height: int = 96,
                        width: int = 128, seed: int = 0, classes: str = "motion") -> Path:
    """Writes ``4 classes x 3 views x clips_per_view`` clips under ``root/multiview_action``.

    Args:
        root: Output folder (created).
        clips_per_view: Clips of each class in each view (subjects s01, s02, ...).
        frames: Frames per clip.
        height, width: Frame size.
        seed: Everything is drawn from it.
        classes: ``motion`` (4 motions) or ``shape-motion`` (2 shapes x up/down).

    Returns:
        The ``multiview_action`` folder (what ``--raw`` takes).
    """
    if classes not in CLASS_SETS:
        raise ValueError(f"unknown class set {classes!r}; valid: {', '.join(CLASS_SETS)}")
    base = Path(root) / "multiview_action"
    rng = np.random.default_rng(seed)
    for view in (1, 2, 3):
        for label in range(len(CLASS_SETS[classes])):
            for subject in range(1, clips_per_view + 1):
                folder = base / f"view_{view}" / f"a{label + 1:02d}_s{subject:02d}_e00"
                folder.mkdir(parents=True, exist_ok=True)
                rgb, depth = motion_clip(label, frames, height, width, rng, classes)
                for n, (image, dmap) in enumerate(zip(rgb, depth)):
                    cv2.imwrite(str(folder / f"frame_{n}_tc_{1000 + 83 * n}_rgb.jpg"),
                                cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
                    cv2.imwrite(str(folder / f"frame_{n}_tc_{1011 + 83 * n}_depth.png"), dmap)
    return base
