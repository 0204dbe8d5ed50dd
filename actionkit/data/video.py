"""Torch datasets over video stores: sampled, transformed clips of one or more modalities.

An item is ``{"inputs": {modality: float32 [C, K, H, W]}, "label", "index"}`` for
training (one view), or ``[V, C, K, H, W]`` per modality for testing (V = temporal views
x spatial crops, in that order). Every modality of a sample uses the same frame indices
(drawn once, over the frames every modality has: flow and a stored RGB difference have
one frame fewer than RGB), and the same crop and flip. ``rgbdiff`` is computed from RGB
unless the store holds it: ``diff_frames`` consecutive frames from each sampled index give
``diff_frames - 1`` differences stacked along channels (MML: 6 -> 5, 15 channels),
scaled to [-1, 1]; a stored one is stacked the same way (:func:`stack_stored_rgbdiff`).

Stores that keep each clip as its video file (a ``video`` stream: Kinetics-400 and
Something-Something by default) give ``rgb``: each item decodes, once for all its views
and modalities, only the frames it needs (:mod:`actionkit.data.frame_reader`), in the
loader's worker process; an RGB difference is computed from those decoded frames.

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

from actionkit.data.multilabel import is_multilabel, multi_hot
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
        multilabel: Items' ``label`` is the multi-hot float32 ``[classes]`` vector of a
            multi-label store (:mod:`actionkit.data.multilabel`) instead of one class.
        modality_offset: MML's xi (section 2.3): when some modality has fewer frames than
            another (flow, a stored RGB difference), indices are drawn over the fewer and
            the modalities with all frames read them shifted by ``xi ~ U{0..N-n}``, drawn per
            item. False: every modality at the same indices.
    """

    #: What a DataLoader over this dataset must use for its workers (read by the trainers' loop).
    worker_context = "forkserver"

    @staticmethod
    def worker_init(worker_id: int) -> None:
        """Pins OpenCV to one thread in each worker."""
        _pin_opencv(worker_id)

    def __init__(self, store: str | Path, indices: np.ndarray, modalities: tuple[str, ...], sampler: Callable,
                 transform: Callable | None = None, *, seed: int = 0, stats: dict | None = None,
                 diff_frames: int = 6, stack: dict[str, int] | None = None, modality_offset: bool = False,
                 multilabel: bool = False):
        self.path = Path(store)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.modalities = tuple(modalities)
        self.sampler = sampler
        self.transform = transform
        self.seed = seed
        self.epoch = 0
        self.stats = stats
        self.diff_frames = diff_frames
        self.modality_offset = modality_offset
        self.multilabel = multilabel
        self.stack = dict(stack or {})
        if len(set(self.stack.values())) > 1:
            raise ValueError(f"stacked modalities must share one group length, got {self.stack}")
        self.group = next(iter(self.stack.values()), 1)
        self._store: Store | None = None
        streams = set(self.store.stream_names)
        self.sources = {mod: source_stream(mod, streams, self.path) for mod in self.modalities}
        if multilabel and not is_multilabel(self.store.samples):
            raise KeyError(f"{self.path}: one label per sample (no labels_0 field); multi-label training needs a "
                           f"multi-label store (docs/store.md, 'Multi-label stores')")

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
        streams = self.store.attrs["streams"]
        short = any(streams.get(s, {}).get("last_frame_empty") for s in self.sources.values() if s is not None)
        return max(frames - 1, 1) if short else frames

    def _decode(self, index: int, stream: str, frames: np.ndarray) -> np.ndarray:
        """Frames of one stream, each distinct frame decoded once; a stored video file decodes only those."""
        unique, inverse = np.unique(frames, return_inverse=True)
        if self.store.attrs["streams"].get(stream, {}).get("per_sample"):
            from actionkit.data.frame_reader import decode_frames  # PyAV: the video extra, only for video stores

            ((data,),) = self.store.encoded(index, stream)
            images = decode_frames(data, unique, what=f"{self.path} sample {index} {stream}")
        else:
            images = self.store.images(index, stream, unique)
        return images[inverse.reshape(-1)]

    def _is_short(self, mod: str) -> bool:
        """Whether a modality's stream has no frame on a sample's last frame (flow, stored rgbdiff)."""
        stream = self.sources[mod]
        return bool(stream and self.store.attrs["streams"].get(stream, {}).get("last_frame_empty"))

    def read(self, index: int, frames: np.ndarray, shift: int = 0) -> Clip:
        """Decoded frames ``[k, H, W, C]`` of every modality at the same indices.

        Modalities that share a stream (``rgb`` and an RGB difference computed from it, or
        ``rgb`` read from a stored ``video`` file) are decoded in one pass. A stored RGB
        difference comes as ``diff_frames - 1`` consecutive uint8 levels per position
        (``[k * (diff_frames - 1), H, W, 3]``), those past the sample's last frame set to
        level 128 (zero), as the differences of the clamped frames computed from RGB are.
        ``shift`` (MML's xi) is added to the indices of the modalities that have every frame.
        """
        n = int(self.store.samples["frames"][index])
        wanted: dict[str, list[tuple[str, np.ndarray]]] = {}
        for mod in self.modalities:
            moved = frames if self._is_short(mod) or not shift else np.minimum(frames + shift, n - 1)
            firsts = moved[:: self.group]  # the first frame of each group, for the unstacked modalities
            stream = self.sources[mod]
            if mod == "rgbdiff" and stream is None:  # computed from RGB: diff_frames consecutive frames
                stream = self.sources.get("rgb") or source_stream("rgb", set(self.store.stream_names), self.path)
                idx = np.minimum(firsts[:, None] + np.arange(self.diff_frames), n - 1).reshape(-1)
            elif mod == "rgbdiff":  # stored: difference t is frame t+1 - frame t, none on the last frame
                idx = (firsts[:, None] + np.arange(self.diff_frames - 1)).reshape(-1)
            else:
                idx = moved if mod in self.stack else firsts
            wanted.setdefault(stream, []).append((mod, idx))
        clip: Clip = {}
        for stream, asks in wanted.items():
            everything = np.concatenate([np.minimum(idx, n - 2) if mod == "rgbdiff" and self.sources[mod] else idx
                                         for mod, idx in asks])  # fmt: skip
            images = self._decode(index, stream, everything)
            at = 0
            for mod, idx in asks:
                part = images[at:at + len(idx)]
                at += len(idx)
                if mod == "rgbdiff" and self.sources[mod]:
                    part = part.copy()
                    part[idx > n - 2] = 128
                clip[mod] = part[..., None] if part.ndim == 3 else part
        return clip

    def __getitem__(self, i: int) -> dict[str, Any]:
        index = int(self.indices[i])
        rng = np.random.default_rng([self.seed, self.epoch, i])
        usable = self._usable(index)
        views = self.sampler(usable, rng)
        frames = int(self.store.samples["frames"][index])
        shift = int(rng.integers(0, frames - usable + 1)) if self.modality_offset and usable < frames else 0
        # One read for every view: a stored video file is decoded once per item, not once per view.
        together = self.read(index, np.concatenate(list(views)), shift)
        per_view = {m: np.split(x, len(views)) for m, x in together.items()}
        outputs: list[dict[str, np.ndarray]] = []
        for v in range(len(views)):
            clip = {m: parts[v] for m, parts in per_view.items()}
            out = self.transform(clip, rng) if self.transform is not None else clip
            for c in (out if isinstance(out, list) else [out]):
                outputs.append(self.to_inputs(c))
        if len(outputs) == 1:
            inputs = {m: torch.from_numpy(x) for m, x in outputs[0].items()}
        else:
            inputs = {m: torch.from_numpy(np.stack([o[m] for o in outputs])) for m in outputs[0]}
        label = (torch.from_numpy(multi_hot(self.store.samples, index, len(self.store.classes))) if self.multilabel
                 else int(self.store.samples["label"][index]))
        return {"inputs": inputs, "label": label, "index": index}

    def to_inputs(self, clip: Clip) -> dict[str, np.ndarray]:
        """Normalised float32 ``[C, K, H, W]`` per modality; RGB difference in [-1, 1], not normalised."""
        diff = None
        if "rgbdiff" in clip:
            clip = dict(clip)
            levels = clip.pop("rgbdiff")
            if self.sources["rgbdiff"]:  # stored: diff_frames - 1 uint8 levels per position
                diff = stack_stored_rgbdiff(levels, self.diff_frames)
            else:  # raw RGB groups of diff_frames consecutive frames, cropped and flipped like the rest
                from actionkit.video.rgbdiff import RGBDifference  # OpenCV: the video extra

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


def source_stream(modality: str, streams: set[str], path: Path) -> str | None:
    """The stored stream a modality is read from; None for an RGB difference computed from RGB.

    ``rgb`` comes from the ``rgb`` frames, else from the ``video`` files (decoded in the
    loader's workers); ``rgbdiff`` from a stored ``rgbdiff`` stream, else from RGB.

    Raises:
        KeyError: the store has nothing to read the modality from (says what to prepare).
    """
    if modality in streams:
        return modality
    if modality == "rgb" and "video" in streams:
        return "video"
    if modality == "rgbdiff" and ({"rgb", "video"} & streams):
        return None
    hint = (" (a video store holds rgb only: prepare the dataset again with --streams rgb,flow to train on flow)"
            if "video" in streams else "")
    raise KeyError(f"{path}: no {modality} stream (streams: {', '.join(sorted(streams))}){hint}")


def stack_stored_rgbdiff(levels: np.ndarray, diff_frames: int) -> np.ndarray:
    """A stored RGB difference stacked as the network input, as :class:`RGBDifference` stacks computed ones.

    Args:
        levels: uint8 ``[K * (diff_frames - 1), H, W, 3]``: for each of K positions, the
            stored differences of its ``diff_frames`` consecutive frames
            (:func:`~actionkit.video.rgbdiff.encode_rgbdiff` levels).
        diff_frames: Frames per group (MML: 6 -> 5 differences, 15 channels).

    Returns:
        float32 ``[(diff_frames - 1) * 3, K, H, W]``, channel ``3 * k + c`` colour c of
        difference k, values ``d / 255`` in [-1, 1].
    """
    per = diff_frames - 1
    if levels.ndim != 4 or len(levels) % per:
        raise ValueError(f"expected [K * {per}, H, W, 3] RGB-difference levels, got {levels.shape}")
    from actionkit.video.rgbdiff import decode_rgbdiff  # OpenCV: the video extra

    k, (h, w) = len(levels) // per, levels.shape[1:3]
    diff = decode_rgbdiff(levels).astype(np.float32) / 255.0
    grouped = diff.reshape(k, per, h, w, 3).transpose(1, 4, 0, 2, 3)  # [per, 3, K, H, W]
    return np.ascontiguousarray(grouped.reshape(per * 3, k, h, w))


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
