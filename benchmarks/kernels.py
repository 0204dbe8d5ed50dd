"""Numba kernels against plain-numpy equivalents, on realistic skeleton shapes.

Usage::

    python benchmarks/kernels.py          # table
    python benchmarks/kernels.py --json   # the same figures as JSON

Shapes: one NTU sample of 100 frames, 2 bodies, 25 joints (``[100, 2, 25, 3]``), a
batch of 128 clips of 50 frames (ASMa), and a ragged stream of 2,000 samples of 30-300
frames (the layout of a store's ``joint`` stream). Both sides run in this process; numba
is warmed up first (compilation excluded). Each figure is the best of 5 repeats of a
loop sized to about 0.1 s, per call. The numpy side is the vectorised numpy one would
write; for the joint masks there are two: the per-sample ``Generator.choice`` loop of the
reference code, and a vectorised Efraimidis-Spirakis key sort (same distribution).

The ragged motion is a single pass over a few hundred MB into a freshly allocated output:
memory-bound on both sides (page faults of the new output dominate), so the kernel only
matches numpy there; its purpose is the sample-boundary rule, not speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.kernels import masks, motion_scores, resample, streams  # noqa: E402
from actionkit.layouts import NTU25  # noqa: E402


def best_time(fn: Callable[[], object], budget: float = 0.1, repeats: int = 5) -> float:
    """Seconds per call: best of ``repeats`` loops of about ``budget`` seconds."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    loops = max(1, int(budget / once))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - t0) / loops)
    return best


# ---- numpy equivalents -------------------------------------------------------------


def np_motion(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    out[:-1] = np.diff(x, axis=0)
    return out


def np_motion_ragged(x: np.ndarray, starts: np.ndarray, frames: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    np.subtract(x[1:], x[:-1], out=out[:-1])
    out[starts + frames - 1] = 0  # samples tile the stream: zero each sample's last frame
    return out


def np_bone(x: np.ndarray, parents: np.ndarray) -> np.ndarray:
    return x - x[:, :, parents, :]


def np_scores(x: np.ndarray) -> np.ndarray:
    out = np.zeros(x.shape[0])
    out[:-1] = np.abs(np.diff(x, axis=0)).mean(axis=(1, 2, 3))
    return out


def np_scores_batch(x: np.ndarray) -> np.ndarray:
    out = np.zeros(x.shape[:2])
    out[:, :-1] = np.abs(np.diff(x, axis=1)).mean(axis=(2, 3, 4))
    return out


def np_topk(scores: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    out = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(out, order, True, axis=1)
    return out


def np_masks_choice(p: np.ndarray, n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros((batch, p.shape[0]), dtype=bool)
    for b in range(batch):
        out[b, rng.choice(p.shape[0], n, replace=False, p=p)] = True
    return out


def np_masks_keys(p: np.ndarray, n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    # Efraimidis-Spirakis keys u ** (1 / p): the top n are a successive sample.
    keys = rng.random((batch, p.shape[0])) ** (1.0 / p)
    top = np.argpartition(-keys, n - 1, axis=1)[:, :n]
    out = np.zeros((batch, p.shape[0]), dtype=bool)
    np.put_along_axis(out, top, True, axis=1)
    return out


def _lerp_table(length: int, out_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src = np.maximum((np.arange(out_len) + 0.5) * (length / out_len) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), length - 1)
    i1 = np.minimum(i0 + 1, length - 1)
    return i0, i1, (src - i0).astype(np.float32)


def np_crop_resize(x: np.ndarray, start: int, length: int, out_len: int) -> np.ndarray:
    i0, i1, lam = _lerp_table(length, out_len)
    w = lam[:, None, None, None]
    return (1 - w) * x[start + i0] + w * x[start + i1]


def np_crop_resize_batch(
    x: np.ndarray, starts: np.ndarray, lengths: np.ndarray, out_len: int
) -> np.ndarray:
    j = np.arange(out_len) + 0.5
    src = np.maximum(j[None, :] * (lengths[:, None] / out_len) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), lengths[:, None] - 1)
    i1 = np.minimum(i0 + 1, lengths[:, None] - 1)
    w = (src - i0).astype(np.float32)[:, :, None, None, None]
    return (1 - w) * x[starts[:, None] + i0] + w * x[starts[:, None] + i1]


# ---- the benchmark -----------------------------------------------------------------


def run() -> list[dict[str, object]]:
    rng = np.random.default_rng(0)
    sample = rng.standard_normal((100, 2, 25, 3)).astype(np.float32)
    clips = rng.standard_normal((128, 50, 2, 25, 3)).astype(np.float32)
    frames = rng.integers(30, 301, size=2000)
    starts = np.concatenate([[0], np.cumsum(frames)[:-1]])
    stream = rng.standard_normal((int(frames.sum()), 2, 25, 3)).astype(np.float32)
    parents = NTU25.parents_array
    p_high = masks.degree_probabilities(NTU25.degrees, "high")
    scores = motion_scores.motion_scores_batch(clips)
    crop_len = (frames * 0.75).astype(np.int64)
    batch_idx = rng.choice(2000, 128, replace=False)
    win_starts = starts[batch_idx] + 5
    win_lens = np.minimum(crop_len[batch_idx], frames[batch_idx] - 5)

    # Same results on both sides before timing anything.
    np.testing.assert_array_equal(streams.motion(sample), np_motion(sample))
    np.testing.assert_array_equal(streams.motion_ragged(stream, starts, frames),
                                  np_motion_ragged(stream, starts, frames))
    np.testing.assert_array_equal(streams.bone(sample, parents), np_bone(sample, parents))
    np.testing.assert_allclose(motion_scores.motion_scores(sample), np_scores(sample), rtol=1e-5)
    np.testing.assert_array_equal(motion_scores.topk_frames(scores, 10), np_topk(scores, 10))
    np.testing.assert_allclose(resample.crop_resize(sample, 10, 75, 64),
                               np_crop_resize(sample, 10, 75, 64), atol=1e-5)
    np.testing.assert_allclose(resample.crop_resize_batch(stream, win_starts, win_lens, 64),
                               np_crop_resize_batch(stream, win_starts, win_lens, 64), atol=1e-5)

    one = "[100, 2, 25, 3]"
    ragged = f"2,000 samples, {stream.shape[0]:,} frames"
    gen = np.random.default_rng(1)
    cases: list[tuple[str, str, str, Callable[[], object], Callable[[], object]]] = [
        ("motion", one, "zeros + np.diff",
         lambda: np_motion(sample), lambda: streams.motion(sample)),
        ("motion (ragged)", ragged, "one np.subtract, zero last frames",
         lambda: np_motion_ragged(stream, starts, frames),
         lambda: streams.motion_ragged(stream, starts, frames)),
        ("bone", one, "x - x[:, :, parents]",
         lambda: np_bone(sample, parents), lambda: streams.bone(sample, parents)),
        ("bone (ragged)", ragged, "x - x[:, :, parents]",
         lambda: np_bone(stream, parents),
         lambda: streams.bone_ragged(stream, starts, frames, parents)),
        ("motion scores", one, "abs(diff).mean",
         lambda: np_scores(sample), lambda: motion_scores.motion_scores(sample)),
        ("motion scores (batch)", "[128, 50, 2, 25, 3]", "abs(diff).mean",
         lambda: np_scores_batch(clips), lambda: motion_scores.motion_scores_batch(clips)),
        ("top-k frames (batch)", "[128, 50], k=10", "stable argsort",
         lambda: np_topk(scores, 10), lambda: motion_scores.topk_frames(scores, 10)),
        ("degree masks", "B=128, V=25, n=9", "Generator.choice per sample",
         lambda: np_masks_choice(p_high, 9, 128, gen),
         lambda: masks.sample_joint_masks(p_high, 9, 128, gen)),
        ("degree masks", "B=128, V=25, n=9", "vectorised E-S keys",
         lambda: np_masks_keys(p_high, 9, 128, gen),
         lambda: masks.sample_joint_masks(p_high, 9, 128, gen)),
        ("crop-resize", one + " -> 64", "gather + lerp",
         lambda: np_crop_resize(sample, 10, 75, 64),
         lambda: resample.crop_resize(sample, 10, 75, 64)),
        ("crop-resize (batch)", "128 windows -> 64", "gather + lerp",
         lambda: np_crop_resize_batch(stream, win_starts, win_lens, 64),
         lambda: resample.crop_resize_batch(stream, win_starts, win_lens, 64)),
    ]
    rows = []
    for name, shape, baseline, np_fn, nb_fn in cases:
        nb_fn()  # warm-up: compile or load the cache
        t_np, t_nb = best_time(np_fn), best_time(nb_fn)
        rows.append({"kernel": name, "shape": shape, "numpy_baseline": baseline,
                     "numpy_s": t_np, "numba_s": t_nb, "ratio": t_np / t_nb})
    return rows


def _fmt(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds * 1e6:8.1f} us"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    rows = run()
    if args.json:
        print(json.dumps({"benchmark": "kernels", "rows": rows}, indent=2))
        return
    head = (f"{'kernel':<22} {'shape':<34} {'numpy baseline':<34} "
            f"{'numpy':>11} {'numba':>11} {'ratio':>7}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['kernel']:<22} {r['shape']:<34} {r['numpy_baseline']:<34} "
              f"{_fmt(r['numpy_s'])} {_fmt(r['numba_s'])} {r['ratio']:6.1f}x")


if __name__ == "__main__":
    main()
