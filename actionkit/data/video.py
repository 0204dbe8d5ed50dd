"""Torch datasets over video stores: sampled, transformed clips of one or more modalities.

An item is ``{"inputs": {modality: float32 [C, K, H, W]}, "label", "index"}`` for
training (one view), or ``[V, C, K, H, W]`` per modality for testing (V = temporal views
x spatial crops, in that order). Every modality of a sample uses the same frame indices
(drawn once, over the frames every modality has: flow and a stored RGB difference have
one frame fewer than RGB), and the same crop and flip. ``rgbdiff`` is computed from RGB
unless the store holds it: ``diff_frames`` consecutive frames from each sampled index give
``diff_frames - 1`` differences stacked along channels (MML: 6 -> 5, 15 channels),
scaled to [-1, 1].

Workers: :func:`video_loader` starts DataLoader workers with ``forkserver`` and pins
OpenCV to one thread in each. Forking a process whose OpenCV thread pool has run
deadlocks the child, and N workers x N OpenCV threads oversubscribe the cores; the
dataset reopens its store in each worker instead of sharing file handles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from actionkit.data.video_transforms import Clip, to_tensor_layout
from actionkit.extras import require
from actionkit.store.reader import Store, open_store


class VideoClipDataset(Dataset):
    """Clips of one split of a video store.

    Args:
        store: A store path (opened lazily, once per process).
        indices: Sample indices (e.g. ``store.split("xview", "train")``).
        modalities: Streams to load: ``rgb``, ``depth``, ``flow``, ``rgbdiff``.
        sampler: ``sampler(num_frames, rng) -> int64 [views, K]`` (see
            :mod:`actionkit.data.clip_sampling`).
        transform: ``t(clip, rng) -> clip``, or a list of clips for spatial test views.
        seed: Base seed; item i of epoch e draws from ``(seed, e, i)`` so runs repeat.
        stats: Per-modality normalisation (default :data:`DEFAULT_STATS`).
        diff_frames: Frames per RGB-difference group when computed from RGB (MML: 6).
        stack: ``{modality: L}``: every L consecutive sampled frames become one input frame
            with L x C channels, frame-major (TSN's stacked flow: L = 5 x/y pairs -> 10
            channels, ``[x0, y0, x1, y1, ...]``); use with a sampler taking L frames per
            position (``length=L``). The other modalities then read the first frame of each
            group of L, so every modality stays aligned (MML trains rgb with stacked flow).
    """

    #: What a DataLoader over this dataset must use for its workers (read by the trainers' loop).
    worker_context = "forkserver"

    @staticmethod
    def worker_init(worker_id: int) -> None:
        """Pins OpenCV to one thread in each worker."""
        _pin_opencv(worker_id)

    def __init__(self, store: str | Path, indices: np.ndarray, modalities: tuple[str, ...], sampler: Callable,
                 transform: Callable | None = None, *, seed: int = 0, stats: dict | None = None,
                 diff_frames: int = 6, stack: dict[str, int] | None = None):
        self.path = Path(store)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.modalities = tuple(modalities)
        self.sampler = sampler
        self.transform = transform
        self.seed = seed
        self.epoch = 0
        self.stats = stats
        self.diff_frames = diff_frames
        self.stack = dict(stack or {})
        if len(set(self.stack.values())) > 1:
            raise ValueError(f"stacked modalities must share one group length, got {self.stack}")
        self.group = next(iter(self.stack.values()), 1)
        self._store: Store | None = None
        store_ = self.store
        streams = set(store_.stream_names)
        for mod in self.modalities:
            if mod not in streams and not (mod == "rgbdiff" and "rgb" in streams):
                raise KeyError(f"{self.path}: no {mod} stream (streams: {', '.join(sorted(streams))})")

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_store": None}

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.path)
        return self._store

    @property
    def labels(self) -> np.ndarray:
        return self.store.samples["label"][self.indices]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.indices)

    def _usable(self, index: int) -> int:
        """Frames every requested modality has (flow/stored rgbdiff: one fewer)."""
        frames = int(self.store.samples["frames"][index])
        short = any(self.store.attrs["streams"].get(m, {}).get("last_frame_empty") for m in self.modalities
                    if m in self.store.stream_names)
        return max(frames - 1, 1) if short else frames

    def read(self, index: int, frames: np.ndarray) -> Clip:
        """Decoded frames ``[K, H, W, C]`` of every modality at the same indices."""
        clip: Clip = {}
        firsts = frames[:: self.group]  # the first frame of each group, for the unstacked modalities
        for mod in self.modalities:
            if mod == "rgbdiff" and "rgbdiff" not in self.store.stream_names:
                continue
            images = self.store.images(index, mod, frames if mod in self.stack else firsts)
            clip[mod] = images[..., None] if images.ndim == 3 else images
        if "rgbdiff" in self.modalities and "rgbdiff" not in self.store.stream_names:
            n = int(self.store.samples["frames"][index])
            groups = np.minimum(firsts[:, None] + np.arange(self.diff_frames), n - 1).reshape(-1)
            clip["rgbdiff"] = self.store.images(index, "rgb", groups)
        return clip

    def __getitem__(self, i: int) -> dict[str, Any]:
        index = int(self.indices[i])
        rng = np.random.default_rng([self.seed, self.epoch, i])
        views = self.sampler(self._usable(index), rng)
        outputs: list[dict[str, np.ndarray]] = []
        for frames in views:
            clip = self.read(index, frames)
            out = self.transform(clip, rng) if self.transform is not None else clip
            for c in (out if isinstance(out, list) else [out]):
                outputs.append(self.to_inputs(c))
        if len(outputs) == 1:
            inputs = {m: torch.from_numpy(x) for m, x in outputs[0].items()}
        else:
            inputs = {m: torch.from_numpy(np.stack([o[m] for o in outputs])) for m in outputs[0]}
        return {"inputs": inputs, "label": int(self.store.samples["label"][index]), "index": index}

    def to_inputs(self, clip: Clip) -> dict[str, np.ndarray]:
        """Normalised float32 ``[C, K, H, W]`` per modality; RGB difference in [-1, 1], not normalised."""
        diff = None
        if "rgbdiff" in clip:
            clip = dict(clip)
            levels = clip.pop("rgbdiff")
            if "rgbdiff" in self.store.stream_names:  # stored: one difference per frame, uint8 levels
                from actionkit.video.rgbdiff import decode_rgbdiff

                diff = (decode_rgbdiff(levels).astype(np.float32) / 255.0).transpose(3, 0, 1, 2)
            else:  # raw RGB groups of diff_frames consecutive frames, cropped and flipped like the rest
                from actionkit.video.rgbdiff import RGBDifference

                stacked = RGBDifference(self.diff_frames)(levels)  # [K, (G-1) * 3, H, W], diff-major RGB
                diff = stacked.transpose(1, 0, 2, 3)
        out = to_tensor_layout(clip, self.stats)
        if diff is not None:
            out["rgbdiff"] = np.ascontiguousarray(diff, dtype=np.float32)
        for mod, length in self.stack.items():
            c, k, h, w = out[mod].shape
            if k % length:
                raise ValueError(f"{mod}: {k} sampled frames do not split into groups of {length}")
            grouped = out[mod].reshape(c, k // length, length, h, w).transpose(2, 0, 1, 3, 4)
            out[mod] = np.ascontiguousarray(grouped.reshape(length * c, k // length, h, w))
        return out


def _pin_opencv(worker_id: int) -> None:
    require("cv2", "video").setNumThreads(1)


def video_loader(dataset: VideoClipDataset, batch_size: int, *, shuffle: bool, workers: int = 0,
                 drop_last: bool = False, seed: int = 0) -> DataLoader:
    """A DataLoader whose workers are safe with OpenCV (forkserver, one OpenCV thread each)."""
    generator = torch.Generator().manual_seed(seed)
    kwargs: dict[str, Any] = {}
    if workers > 0:
        kwargs = {"multiprocessing_context": "forkserver", "worker_init_fn": _pin_opencv,
                  "persistent_workers": True}
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=workers, drop_last=drop_last,
                      generator=generator, **kwargs)
