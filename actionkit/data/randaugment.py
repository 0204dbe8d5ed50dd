"""RandAugment and Cutout for video clips (CMPL's strong view, after FixMatch), temporally consistent.

One call draws ``n`` operations and their magnitudes once and applies them to every frame
of the clip, so the clip stays a coherent video (CMPL: "all the spatial transformations
... are temporally consistent across all frames"). RGB clips only: rotating or shearing
a flow field would also have to rotate its vectors.

Operations (Cubuk et al. 2020), with magnitude ``m`` in 0..10 mapped to: rotate up to
30 degrees, shear up to 0.3, translate up to 0.3 of the side, solarize threshold
``256 - 25.6 m``, posterize to ``8 - 0.4 m`` bits, and colour, contrast, brightness and
sharpness factors ``1 +- 0.09 m`` (random sign); plus identity, autocontrast, equalize.
Cutout then blanks one square of side ``cutout`` x the shorter side at a random centre
(grey 128), as in FixMatch.
"""

from __future__ import annotations

import numpy as np

from actionkit.data.video_transforms import Clip
from actionkit.extras import require

OPS = ("identity", "autocontrast", "equalize", "rotate", "solarize", "color", "posterize", "contrast",
       "brightness", "sharpness", "shear_x", "shear_y", "translate_x", "translate_y")


def _affine(frames: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    h, w = frames.shape[1:3]
    cv2 = require("cv2", "video")
    return np.stack([cv2.warpAffine(f, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=(128, 128, 128))
                     for f in frames])


def _blend(frames: np.ndarray, other: np.ndarray, factor: float) -> np.ndarray:
    return np.clip(other + factor * (frames.astype(np.float32) - other), 0, 255).astype(np.uint8)


def apply_op(frames: np.ndarray, op: str, m: float, sign: float) -> np.ndarray:
    """One operation at magnitude ``m`` (0..10) on uint8 RGB ``[T, H, W, 3]``, the same for every frame."""
    h, w = frames.shape[1:3]
    f = 0.09 * m * sign
    if op == "identity":
        return frames
    if op == "autocontrast":
        lo = frames.min(axis=(0, 1, 2), keepdims=True).astype(np.float32)
        hi = frames.max(axis=(0, 1, 2), keepdims=True).astype(np.float32)
        return np.clip((frames - lo) * 255 / np.maximum(hi - lo, 1), 0, 255).astype(np.uint8)
    if op == "equalize":  # one lookup table per channel from the whole clip's histogram
        out = np.empty_like(frames)
        for c in range(3):
            hist = np.bincount(frames[..., c].ravel(), minlength=256)
            cdf = hist.cumsum()
            low = cdf[hist > 0].min()  # the darkest level present maps to 0 (cv2.equalizeHist, PIL)
            lut = np.clip(np.round((cdf - low) * 255 / max(cdf[-1] - low, 1)), 0, 255).astype(np.uint8)
            out[..., c] = lut[frames[..., c]]
        return out
    if op == "rotate":
        return _affine(frames, require("cv2", "video").getRotationMatrix2D((w / 2, h / 2), 3.0 * m * sign, 1.0))
    if op == "solarize":
        threshold = 256 - 25.6 * m
        return np.where(frames >= threshold, 255 - frames, frames).astype(np.uint8)
    if op == "posterize":
        bits = max(1, int(8 - 0.4 * m))
        return (frames & np.uint8((0xFF << (8 - bits)) & 0xFF)).astype(np.uint8)
    if op == "color":
        grey = (frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
        return _blend(frames, grey, 1 + f)
    if op == "contrast":
        return _blend(frames, np.float32(frames.mean()), 1 + f)
    if op == "brightness":
        return _blend(frames, np.float32(0), 1 + f)
    if op == "sharpness":
        kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13
        cv2 = require("cv2", "video")
        smooth = np.stack([cv2.filter2D(x, -1, kernel) for x in frames]).astype(np.float32)
        return _blend(frames, smooth, 1 + f)
    if op in ("shear_x", "shear_y"):
        s = 0.03 * m * sign
        matrix = np.float32([[1, s, -s * h / 2], [0, 1, 0]]) if op == "shear_x" else \
            np.float32([[1, 0, 0], [s, 1, -s * w / 2]])
        return _affine(frames, matrix)
    if op in ("translate_x", "translate_y"):
        dx, dy = (0.03 * m * sign * w, 0.0) if op == "translate_x" else (0.0, 0.03 * m * sign * h)
        return _affine(frames, np.float32([[1, 0, dx], [0, 1, dy]]))
    raise KeyError(f"unknown RandAugment operation {op!r}; known: {', '.join(OPS)}")


class RandAugment:
    """``n`` random operations at magnitude ``magnitude`` (or uniform in [low, high] per call), per clip.

    Args:
        n: Operations per clip (FixMatch, CMPL: 2).
        magnitude: A fixed magnitude, or ``(low, high)`` drawn per call (CMPL uses FixMatch's 1-10).
        cutout: Side of the Cutout square as a fraction of the shorter side (0: none).
    """

    def __init__(self, n: int = 2, magnitude: float | tuple[float, float] = (9, 10), cutout: float = 0.5):
        self.n, self.magnitude, self.cutout = n, magnitude, cutout

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        if set(clip) != {"rgb"}:
            raise ValueError(f"RandAugment changes geometry without rotating flow vectors: RGB clips only, "
                             f"got {sorted(clip)}")
        frames = clip["rgb"]
        for op in rng.choice(OPS, size=self.n, replace=True):
            m = self.magnitude if np.isscalar(self.magnitude) else rng.uniform(*self.magnitude)
            frames = apply_op(frames, str(op), float(m), float(rng.choice([-1.0, 1.0])))
        if self.cutout > 0:
            frames = cutout(frames, self.cutout, rng)
        return {"rgb": frames}


def cutout(frames: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Blank (grey 128) one square of side ``fraction`` x the shorter side, the same in every frame."""
    h, w = frames.shape[1:3]
    side = int(round(fraction * min(h, w)))
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    y0, y1 = max(cy - side // 2, 0), min(cy + side - side // 2, h)
    x0, x1 = max(cx - side // 2, 0), min(cx + side - side // 2, w)
    out = frames.copy()
    out[:, y0:y1, x0:x1] = 128
    return out
