"""Which frames of a video a clip uses: the samplers of TSN, MML and CMPL as small callables.

Every sampler is called as ``sampler(num_frames, rng)`` and returns int64 indices
``[views, clip_frames]``: one view when training (random), several fixed views when
testing. Indices always lie in ``[0, num_frames)``: a video shorter than the clip repeats
its last frame rather than failing, as the reference pipelines do.

- :class:`SegmentSampler` (TSN; DMCL, MML's uniform sampling): ``segments`` equal parts,
  ``frames_per_segment`` consecutive frames from each (5 for stacked flow, 6 for RGB
  difference); training takes a random start in each part, testing the part centres,
  or ``clips`` evenly shifted views.
- :class:`UniformTestSampler` and :class:`DenseSampler`: MML's Appendix 1 test views and
  dense sampling (every ``tau``-th frame from a random start).
- :class:`MixedSampler`: one of several samplers per call (MML trains 50% uniform, 50% dense).
- :class:`RepeatedSampler`: several independent draws of a training sampler as test views
  (DMCL tests on 10 clips of 8 randomly sampled frames; reproducible from the item's seed).
- :class:`StridedClipSampler`: CMPL's clips, ``clip_len`` frames at ``stride`` from a raw
  window of ``clip_len * stride`` frames (8x8 and 16x4 from 64 frames), with an optional
  time offset between the primary and auxiliary clips.
- :func:`modality_offset`: MML's offset xi aligning modalities with different frame counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _expand(starts: np.ndarray, length: int, num_frames: int) -> np.ndarray:
    """``[views, S]`` starts -> ``[views, S * length]`` consecutive indices, clipped to the video."""
    idx = starts[..., None] + np.arange(length)
    return np.clip(idx, 0, max(num_frames - 1, 0)).reshape(starts.shape[0], -1).astype(np.int64)


class SegmentSampler:
    """TSN segment sampling.

    Args:
        segments: Equal parts the video is split into (S).
        frames_per_segment: Consecutive frames taken from each part (L): 1 for RGB,
            5 for stacked flow, 6 for RGB difference.
        train: Random starts (one view) or fixed test views.
        clips: Test views, each shifted by ``1 / clips`` of a part (1: the part centres).

    Train, with ``avg = (T - L + 1) // S``: ``start_s = s * avg + U{0..avg-1}``; when
    ``avg`` is 0 but ``T - L + 1 > S``, S sorted uniform draws; else all 0 (TSN's rule).
    Test view c: ``start_s = floor(tick * (s + (c + 0.5) / clips))`` with
    ``tick = (T - L + 1) / S``.
    """

    def __init__(self, segments: int, frames_per_segment: int = 1, *, train: bool = True, clips: int = 1):
        if segments < 1 or frames_per_segment < 1 or clips < 1:
            raise ValueError("segments, frames_per_segment and clips must be >= 1")
        self.segments, self.length, self.train, self.clips = segments, frames_per_segment, train, clips

    @property
    def clip_frames(self) -> int:
        return self.segments * self.length

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        s, length = self.segments, self.length
        span = num_frames - length + 1
        if self.train:
            avg = span // s
            if avg > 0:
                starts = np.arange(s) * avg + _rng(rng).integers(0, avg, size=s)
            elif span > s:
                starts = np.sort(_rng(rng).integers(0, span, size=s))
            else:
                starts = np.zeros(s, dtype=np.int64)
            return _expand(starts[None], length, num_frames)
        tick = max(span, 1) / s
        views = [np.floor(tick * (np.arange(s) + (c + 0.5) / self.clips)) for c in range(self.clips)]
        return _expand(np.stack(views).astype(np.int64), length, num_frames)


class UniformTestSampler:
    """MML's uniform test views (Appendix 1): view i of m uses frames ``floor((j + i / m) T / N)``.

    ``length`` > 1 takes that many consecutive frames from each position (stacked flow),
    with T replaced by ``T - length + 1`` so that every stack fits.

    The appendix prints the offset as ``i * m``; its text gives the views of ``m = 2`` as
    ``{0, T/N, ...}`` and ``{0.5 T/N, ...}``, which is ``i / m``: that is what is used.
    """

    def __init__(self, frames: int, views: int = 2, *, length: int = 1):
        if frames < 1 or views < 1 or length < 1:
            raise ValueError("frames, views and length must be >= 1")
        self.frames, self.views, self.length = frames, views, length

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        j = np.arange(self.frames)
        span = max(num_frames - self.length + 1, 1)
        rows = [np.floor((j + i / self.views) * span / self.frames) for i in range(self.views)]
        starts = np.clip(np.stack(rows), 0, span - 1).astype(np.int64)
        return _expand(starts, self.length, num_frames)


class DenseSampler:
    """Every ``tau``-th frame, ``frames`` of them, from a random start (MML's dense sampling).

    Test views (``train=False``), with ``T' = T - tau (N - 1)``: for ``views = 1`` the start
    ``floor(T' / 2)``; for k > 1 views the starts ``floor(i T' / k)``. ``length`` > 1 takes
    that many consecutive frames from each position (stacked flow).
    """

    def __init__(self, frames: int, tau: int, *, train: bool = True, views: int = 1, length: int = 1):
        if frames < 1 or tau < 1 or views < 1 or length < 1:
            raise ValueError("frames, tau, views and length must be >= 1")
        self.frames, self.tau, self.train, self.views, self.length = frames, tau, train, views, length

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        room = num_frames - self.tau * (self.frames - 1) - (self.length - 1)
        if self.train:
            starts = np.array([_rng(rng).integers(0, room) if room > 0 else 0])
        elif self.views == 1:
            starts = np.array([max(room, 0) // 2])
        else:
            starts = np.floor(np.arange(self.views) * max(room, 0) / self.views).astype(np.int64)
        idx = starts[:, None] + self.tau * np.arange(self.frames)
        return _expand(np.clip(idx, 0, max(num_frames - self.length, 0)).astype(np.int64), self.length, num_frames)


class MixedSampler:
    """Each call uses one of ``samplers``, drawn with ``probs`` (MML: uniform or dense, 50% each)."""

    def __init__(self, samplers: Sequence, probs: Sequence[float] | None = None):
        self.samplers = list(samplers)
        self.probs = np.full(len(self.samplers), 1 / len(self.samplers)) if probs is None else np.asarray(probs)
        if len(self.probs) != len(self.samplers) or not np.isclose(self.probs.sum(), 1):
            raise ValueError("one probability per sampler, summing to 1")

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        rng = _rng(rng)
        return self.samplers[int(rng.choice(len(self.samplers), p=self.probs))](num_frames, rng)


class RepeatedSampler:
    """``views`` independent draws of a one-view sampler, stacked: ``[views, clip_frames]``."""

    def __init__(self, sampler, views: int):
        if views < 1:
            raise ValueError("views must be >= 1")
        self.sampler, self.views = sampler, views

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        rng = _rng(rng)
        return np.concatenate([self.sampler(num_frames, rng) for _ in range(self.views)])


class StridedClipSampler:
    """``clip_len`` frames ``stride`` apart from a window of ``clip_len * stride`` frames (CMPL).

    Training draws the window start uniformly; testing uses ``clips`` windows whose starts
    are evenly spread over the video (``floor(i * (T - W) / (clips - 1))``, the middle one
    for a single clip). :meth:`pair` draws CMPL's primary and auxiliary clips from windows
    ``offset`` frames apart.
    """

    def __init__(self, clip_len: int, stride: int, *, train: bool = True, clips: int = 1):
        if clip_len < 1 or stride < 1 or clips < 1:
            raise ValueError("clip_len, stride and clips must be >= 1")
        self.clip_len, self.stride, self.train, self.clips = clip_len, stride, train, clips

    @property
    def window(self) -> int:
        return self.clip_len * self.stride

    def at(self, start: int, num_frames: int) -> np.ndarray:
        """The clip whose window starts at ``start``: ``[clip_len]``."""
        return np.clip(start + self.stride * np.arange(self.clip_len), 0, num_frames - 1).astype(np.int64)

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        room = max(num_frames - self.window, 0)
        if self.train:
            starts = [int(_rng(rng).integers(0, room + 1))]
        elif self.clips == 1:
            starts = [room // 2]
        else:
            starts = [i * room // (self.clips - 1) for i in range(self.clips)]
        return np.stack([self.at(s, num_frames) for s in starts])

    @staticmethod
    def pair(primary: StridedClipSampler, auxiliary: StridedClipSampler, num_frames: int,
             rng: np.random.Generator | None = None, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Primary and auxiliary clips (``[clip_len]`` each) whose windows start ``offset`` frames apart."""
        rng = _rng(rng)
        window = max(primary.window, auxiliary.window) + abs(offset)
        start = int(rng.integers(0, max(num_frames - window, 0) + 1))
        a, b = (start, start + offset) if offset >= 0 else (start - offset, start)
        return primary.at(a, num_frames), auxiliary.at(b, num_frames)


def modality_offset(frames_more: int, frames_fewer: int, rng: np.random.Generator | None = None) -> int:
    """MML's xi ~ U{0..N-n}: added to indices drawn for the n-frame modality to index the N-frame one."""
    return int(_rng(rng).integers(0, max(frames_more - frames_fewer, 0) + 1))
