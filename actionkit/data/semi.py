"""Semi-supervised video data: class-balanced labelled subsets and items pairing labelled with unlabelled clips.

:func:`balanced_subset` picks the labelled videos (CMPL: 1% / 10% of Kinetics-400 as 6 /
60 per class, of UCF-101 as 1 / 10 per class), seeded so that a subset can be reproduced.

:class:`SemiSupervisedClips` serves one item per group of ``mu`` unlabelled videos
(``B_u / B_l = mu``; an epoch is one pass over the unlabelled set) together with one
labelled video (the labelled set is cycled in a fresh seeded order as often as needed).
Each video gives two clips from one raw window, the primary's (``8 x 8``: 8 frames 8 apart)
and the auxiliary's (``16 x 4``), optionally from windows up to ``offset`` frames apart
(CMPL's time offset). Clips are decoded once and augmented as their role asks: labelled
clips with the standard training augmentation, unlabelled ones twice, weakly (pseudo-label
source) and strongly (pseudo-label target). Both clips of a video share one draw of every
spatial transform (they are transformed as one clip), so the spatial transform is the
same across all frames of a clip.

Items: ``{"labelled": {"primary": [C, Kp, H, W], "aux": [C, Ka, H, W]}, "label": int,
"unlabelled": {"weak_primary", "weak_aux", "strong_primary", "strong_aux": [mu, C, K, H, W]},
"unlabelled_label": int64 [mu] (held-back labels, for logging pseudo-label quality only),
"index": int}``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from actionkit.data.clip_sampling import StridedClipSampler
from actionkit.data.video import VideoClipDataset

__all__ = ["balanced_subset", "SemiSupervisedClips"]


def balanced_subset(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Positions of ``per_class`` randomly chosen samples of every class (all of a smaller class).

    Args:
        labels: ``[N]`` class of each candidate.
        per_class: Samples per class.
        seed: The draw's seed.

    Returns:
        Sorted int64 positions into ``labels``.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        chosen.append(rng.choice(members, size=min(per_class, len(members)), replace=False))
    return np.sort(np.concatenate(chosen)).astype(np.int64)


class SemiSupervisedClips(Dataset):
    """Labelled + unlabelled clip pairs for cross-model pseudo-labelling (see the module docstring).

    Args:
        store: A video store with an ``rgb`` stream.
        labelled: Store indices of the labelled videos.
        unlabelled: Store indices of the unlabelled videos (their labels are only logged).
        mu: Unlabelled videos per labelled one.
        primary: The primary's clip sampler (``StridedClipSampler(8, 8)``).
        auxiliary: The auxiliary's (``StridedClipSampler(16, 4)``), or None (FixMatch: one model).
        labelled_transform / weak / strong: ``t(clip, rng) -> clip``.
        offset: Frames between the two clips' windows, drawn uniformly in ``[-o, o]``, ``o`` the
            smaller of ``offset`` and the video's frames beyond the longer window.
        seed: Base seed; item i of epoch e draws from ``(seed, e, i)``.
        unlabelled_views: Decode the unlabelled videos (False: a supervised-only baseline
            that takes the same steps over the same labelled videos).
    """

    worker_context = VideoClipDataset.worker_context
    worker_init = staticmethod(VideoClipDataset.worker_init)

    def __init__(self, store: str | Path, labelled: np.ndarray, unlabelled: np.ndarray, mu: int,
                 primary: StridedClipSampler, auxiliary: StridedClipSampler | None,
                 labelled_transform: Callable, weak: Callable, strong: Callable, *, offset: int = 0, seed: int = 0,
                 unlabelled_views: bool = True):
        if mu < 1:
            raise ValueError(f"mu must be >= 1, got {mu}")
        self.labelled = np.asarray(labelled, dtype=np.int64)
        self.unlabelled = np.asarray(unlabelled, dtype=np.int64)
        if len(self.labelled) == 0 or len(self.unlabelled) < mu:
            raise ValueError(f"need at least one labelled and {mu} unlabelled videos; got "
                             f"{len(self.labelled)} and {len(self.unlabelled)}")
        self.mu, self.primary, self.auxiliary, self.offset = mu, primary, auxiliary, offset
        self.transforms = {"labelled": labelled_transform, "weak": weak, "strong": strong}
        self.seed, self.epoch = seed, 0
        self.unlabelled_views = unlabelled_views
        self.reader = VideoClipDataset(store, self.unlabelled, ("rgb",), sampler=primary, seed=seed)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.unlabelled) // self.mu

    def _order(self, which: str, cycle: int) -> np.ndarray:
        pool = self.labelled if which == "labelled" else self.unlabelled
        salt = 0 if which == "labelled" else 1
        return np.random.default_rng([self.seed, self.epoch, salt, cycle]).permutation(pool)

    def _clips(self, index: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Decoded frames ``[Kp (+ Ka), H, W, 3]`` of one video and the primary's frame count."""
        n = int(self.reader.store.samples["frames"][index])
        if self.auxiliary is None:
            frames = self.primary(n, rng)[0]
            return self.reader.read(index, frames)["rgb"], len(frames)
        # At most t_s, and at most what the video leaves beside the longer window (a 10 s
        # offset in a 10 s clip would put the second window past the end, every frame the last).
        limit = min(self.offset, max(n - max(self.primary.window, self.auxiliary.window), 0))
        offset = int(rng.integers(-limit, limit + 1)) if limit else 0
        p, a = StridedClipSampler.pair(self.primary, self.auxiliary, n, rng, offset)
        return self.reader.read(index, np.concatenate([p, a]))["rgb"], len(p)

    def _views(self, frames: np.ndarray, split: int, role: str, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        out = self.reader.to_inputs(self.transforms[role]({"rgb": frames}, rng))["rgb"]  # [C, K, H, W]
        views = {"primary": torch.from_numpy(np.ascontiguousarray(out[:, :split]))}
        if self.auxiliary is not None:
            views["aux"] = torch.from_numpy(np.ascontiguousarray(out[:, split:]))
        return views

    def __getitem__(self, i: int) -> dict[str, Any]:
        rng = np.random.default_rng([self.seed, self.epoch, 2, i])
        cycle, pos = divmod(i, len(self.labelled))
        lab = int(self._order("labelled", cycle)[pos])
        frames, split = self._clips(lab, rng)
        labels = self.reader.store.samples["label"]
        item = {"labelled": self._views(frames, split, "labelled", rng), "label": int(labels[lab]), "index": lab}
        if not self.unlabelled_views:
            return item
        unl = self._order("unlabelled", 0)[i * self.mu:(i + 1) * self.mu]
        weak: dict[str, list] = {}
        strong: dict[str, list] = {}
        for u in unl:
            f, s = self._clips(int(u), rng)
            for key, t in self._views(f, s, "weak", rng).items():
                weak.setdefault(key, []).append(t)
            for key, t in self._views(f, s, "strong", rng).items():
                strong.setdefault(key, []).append(t)
        unlabelled = {f"weak_{k}": torch.stack(v) for k, v in weak.items()}
        unlabelled |= {f"strong_{k}": torch.stack(v) for k, v in strong.items()}
        return {**item, "unlabelled": unlabelled, "unlabelled_label": torch.as_tensor(labels[unl].astype(np.int64))}
