"""Datasets distributed as folders of numbered frame images (NW-UCLA, UWA3D II).

Shared by their sources: decoding one frame file into the array a video source yields,
pairing RGB and depth frames by frame number (or cutting both lists to the shorter),
and iterating a clip's frames lazily.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np

from actionkit.sources.base import SampleError, SampleNote
from actionkit.sources.rawfiles import RawFile, read_raw

ALIGN_MODES = ("frame-number", "truncate")

#: A modality's frames: (frame number, file), sorted by number.
Frames = tuple[tuple[int, RawFile], ...]


def decode_frame(file: RawFile, modality: str) -> np.ndarray:
    """One raw frame: uint8 RGB ``[H, W, 3]`` or uint16 depth ``[H, W]``.

    Raises:
        SampleError: unreadable or corrupt image, or the wrong kind of image (named).
    """
    from actionkit.codecs.images import ImageError, decode_image

    try:
        image = decode_image(read_raw(file), what=file.display)
    except OSError as exc:
        raise SampleError(f"unreadable file ({exc})") from None
    except ImageError as exc:
        raise SampleError(str(exc)) from None
    if modality == "rgb" and (image.dtype != np.uint8 or image.ndim != 3):
        raise SampleError(f"{file.display}: expected an 8-bit colour image, got {image.dtype} {image.shape}")
    if modality == "depth" and (image.dtype != np.uint16 or image.ndim != 2):
        raise SampleError(f"{file.display}: expected a 16-bit single-channel depth map, "
                          f"got {image.dtype} {image.shape}")
    return image


def align(lists: dict[str, Frames], mode: str, where: str) -> dict[str, Frames]:
    """Pair the modalities' frames: by equal frame number, or each list cut to the shortest.

    Issues a :class:`SampleNote` when frames are dropped.

    Raises:
        SampleError: a modality with no frame, or no frame number common to all.
    """
    for mod, frames in lists.items():
        if not frames:
            raise SampleError(f"no {mod} frames in {where}")
    if len(lists) < 2:
        return lists
    counts = {mod: len(frames) for mod, frames in lists.items()}
    if mode == "frame-number":
        common = set.intersection(*({n for n, _ in frames} for frames in lists.values()))
        if not common:
            raise SampleError(f"{where}: no frame number has both {' and '.join(lists)} images")
        lists = {mod: tuple((n, f) for n, f in frames if n in common) for mod, frames in lists.items()}
    else:
        shortest = min(counts.values())
        lists = {mod: frames[:shortest] for mod, frames in lists.items()}
    kept = len(next(iter(lists.values())))
    if any(c != kept for c in counts.values()):
        have = ", ".join(f"{c} {mod}" for mod, c in counts.items())
        warnings.warn(SampleNote(f"{have} frames: {kept} kept ({mode} alignment)"))
    return lists


def iter_frames(frames: Frames, modality: str) -> Iterator[np.ndarray]:
    """Decode a clip's frame files in order, one at a time."""
    for _, f in frames:
        yield decode_frame(f, modality)
