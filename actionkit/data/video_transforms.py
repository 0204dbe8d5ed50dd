"""Clip transforms: the same random parameters for every frame of a clip and every modality of a sample.

A clip is a dict ``{modality: uint8/uint16 array [T, H, W, C]}`` (``rgb`` C=3, ``flow``
C=2 quantised x/y, ``depth`` C=1, ``rgbdiff`` C=3); all modalities of a sample share H
and W. A transform is a callable ``t(clip, rng) -> clip`` drawing its parameters once
per call, so the crop and flip that one frame gets, every frame and every modality get.
Geometric transforms apply to every modality; photometric ones to ``rgb`` only. A
horizontal flip mirrors the flow field, so it also negates flow x: on the quantised
levels, ``q -> 255 - q`` (exactly ``f -> -f`` under the linear map ``q = (f + b) 255 / 2b``).

Test-time views (:class:`CentreCrop`, :class:`ThreeCrop`) are deterministic;
:class:`ThreeCrop` returns a list of clips.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from actionkit.extras import require

Clip = dict[str, np.ndarray]

#: Modalities that photometric transforms change.
PHOTOMETRIC = ("rgb",)


def _frames_map(clip: Clip, fn) -> Clip:
    """Apply ``fn(frame [H, W, C]) -> [h, w, C]`` to every frame of every modality."""
    out = {}
    for mod, arr in clip.items():
        frames = [fn(f) for f in arr]
        out[mod] = np.stack([f if f.ndim == 3 else f[..., None] for f in frames])
    return out


def crop(clip: Clip, y: int, x: int, h: int, w: int) -> Clip:
    """The same ``h x w`` window at ``(y, x)`` of every frame."""
    return {mod: arr[:, y:y + h, x:x + w] for mod, arr in clip.items()}


def resize(clip: Clip, height: int, width: int) -> Clip:
    """Every frame to ``width x height``: area for shrinking, linear for enlarging, nearest for depth."""
    cv2 = require("cv2", "video")  # imported here: skeleton training needs no OpenCV

    def one(mod: str):
        def fn(frame):
            if mod == "depth":
                inter = cv2.INTER_NEAREST
            else:
                inter = cv2.INTER_AREA if height < frame.shape[0] else cv2.INTER_LINEAR
            return cv2.resize(frame, (width, height), interpolation=inter)
        return fn
    return {mod: _frames_map({mod: arr}, one(mod))[mod] for mod, arr in clip.items()}


def _size(clip: Clip) -> tuple[int, int]:
    sizes = {arr.shape[1:3] for arr in clip.values()}
    if len(sizes) != 1:
        raise ValueError(f"modalities of one sample differ in frame size: {sorted(sizes)}; resize them first")
    return sizes.pop()


class Compose:
    """Transforms in order, sharing the generator."""

    def __init__(self, transforms: Sequence):
        self.transforms = list(transforms)

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        for t in self.transforms:
            clip = t(clip, rng)
        return clip


class Resize:
    """Every modality to the same short side (aspect kept) or to a fixed ``(height, width)``."""

    def __init__(self, short: int | None = None, size: tuple[int, int] | None = None):
        if (short is None) == (size is None):
            raise ValueError("give short or size")
        self.short, self.size = short, size

    def __call__(self, clip: Clip, rng: np.random.Generator | None = None) -> Clip:
        out = {}
        for mod, arr in clip.items():
            h, w = arr.shape[1:3]
            if self.size is not None:
                th, tw = self.size
            elif h <= w:
                th, tw = self.short, max(1, round(w * self.short / h))
            else:
                th, tw = max(1, round(h * self.short / w)), self.short
            out[mod] = arr if (h, w) == (th, tw) else resize({mod: arr}, th, tw)[mod]
        return out


class MultiScaleCrop:
    """TSN's multi-scale corner crop, then a resize to ``size`` x ``size``.

    The crop's sides are drawn from ``scales`` x the short side (height and width at
    most ``max_distort`` scale steps apart), its position from 13 fixed points (the
    corners, edge centres, centre and quarter points: TSN's ``more_fix_crop``).
    """

    def __init__(self, size: int = 224, scales: Sequence[float] = (1, 0.875, 0.75, 0.66), max_distort: int = 1):
        self.size, self.scales, self.max_distort = size, tuple(scales), max_distort

    def params(self, height: int, width: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
        base = min(height, width)
        sides = [int(base * s) for s in self.scales]
        sides = [self.size if abs(s - self.size) < 3 else s for s in sides]
        pairs = [(h, w) for i, h in enumerate(sides) for j, w in enumerate(sides) if abs(i - j) <= self.max_distort]
        ch, cw = pairs[int(rng.integers(len(pairs)))]
        ys, xs = (height - ch) // 4, (width - cw) // 4
        points = [(0, 0), (0, 4 * xs), (4 * ys, 0), (4 * ys, 4 * xs), (2 * ys, 2 * xs), (2 * ys, 0), (2 * ys, 4 * xs),
                  (4 * ys, 2 * xs), (0, 2 * xs), (ys, xs), (ys, 3 * xs), (3 * ys, xs), (3 * ys, 3 * xs)]
        y, x = points[int(rng.integers(len(points)))]
        return y, x, ch, cw

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        h, w = _size(clip)
        return resize(crop(clip, *self.params(h, w, rng)), self.size, self.size)


class ShiftedCentreCrop:
    """A ``size`` x ``size`` crop around the centre moved by up to ``max_shift`` pixels (DMCL's train crop)."""

    def __init__(self, size: int = 224, max_shift: int = 16):
        self.size, self.max_shift = size, max_shift

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        h, w = _size(clip)
        s = min(self.size, h, w)
        y0, x0 = (h - s) // 2, (w - s) // 2
        dy, dx = rng.integers(-self.max_shift, self.max_shift + 1, size=2)
        y, x = int(np.clip(y0 + dy, 0, h - s)), int(np.clip(x0 + dx, 0, w - s))
        return crop(clip, y, x, s, s)


class CentreCrop:
    """The central ``size`` x ``size`` window (test)."""

    def __init__(self, size: int = 224):
        self.size = size

    def __call__(self, clip: Clip, rng: np.random.Generator | None = None) -> Clip:
        h, w = _size(clip)
        s = min(self.size, h, w)
        return crop(clip, (h - s) // 2, (w - s) // 2, s, s)


class ThreeCrop:
    """Three ``size`` x ``size`` windows along the long side: start, centre, end (test; a list of clips)."""

    def __init__(self, size: int = 224):
        self.size = size

    def __call__(self, clip: Clip, rng: np.random.Generator | None = None) -> list[Clip]:
        h, w = _size(clip)
        s = min(self.size, h, w)
        if w >= h:
            return [crop(clip, (h - s) // 2, x, s, s) for x in (0, (w - s) // 2, w - s)]
        return [crop(clip, y, (w - s) // 2, s, s) for y in (0, (h - s) // 2, h - s)]


def flip(clip: Clip) -> Clip:
    """Mirror every frame left-right; flow x is negated (``q -> 255 - q``)."""
    out = {mod: arr[:, :, ::-1] for mod, arr in clip.items()}
    if "flow" in out:
        flow = out["flow"].copy()
        flow[..., 0] = 255 - flow[..., 0]
        out["flow"] = flow
    return {mod: np.ascontiguousarray(arr) for mod, arr in out.items()}


class HorizontalFlip:
    """Flip the whole sample with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        return flip(clip) if rng.random() < self.p else clip


class ColourJitter:
    """Brightness, contrast and saturation factors in ``[1 - s, 1 + s]``, one draw per clip, RGB only."""

    def __init__(self, brightness: float = 0.4, contrast: float = 0.4, saturation: float = 0.4, p: float = 0.8):
        self.b, self.c, self.s, self.p = brightness, contrast, saturation, p

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        if "rgb" not in clip or rng.random() >= self.p:
            return clip
        b, c, s = (1 + rng.uniform(-v, v) for v in (self.b, self.c, self.s))
        x = clip["rgb"].astype(np.float32) * b
        mean = x.mean()  # one grey level for the whole clip keeps frames consistent
        x = (x - mean) * c + mean
        grey = x @ np.array([0.299, 0.587, 0.114], np.float32)
        x = (x - grey[..., None]) * s + grey[..., None]
        return {**clip, "rgb": np.clip(x, 0, 255).astype(np.uint8)}


#: Per-modality normalisation after scaling to [0, 1]: ImageNet statistics for RGB, the
#: TSN/MMAction2 flow convention (mean 0.5, std 0.226), RGB difference centred on 0.5.
DEFAULT_STATS = {
    "rgb": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "flow": ((0.5, 0.5), (0.226, 0.226)),
    "rgbdiff": ((0.5, 0.5, 0.5), (0.226, 0.226, 0.226)),
}


def to_tensor_layout(clip: Clip, stats: dict | None = None, depth_max_mm: float = 8000.0) -> dict[str, np.ndarray]:
    """uint8/uint16 ``[T, H, W, C]`` -> float32 ``[C, T, H, W]``, scaled and normalised per modality.

    Depth (millimetres) is divided by ``depth_max_mm`` (no mean/std).
    """
    stats = DEFAULT_STATS if stats is None else stats
    out = {}
    for mod, arr in clip.items():
        if mod == "depth":
            x = arr.astype(np.float32) / depth_max_mm
        else:
            x = arr.astype(np.float32) / 255.0
            if mod in stats:
                mean, std = (np.asarray(v, np.float32) for v in stats[mod])
                x = (x - mean) / std
        out[mod] = np.ascontiguousarray(x.transpose(3, 0, 1, 2))
    return out
