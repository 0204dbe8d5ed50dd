"""TV-L1 optical flow throughput per core at 340x256, and its scaling over two processes.

Usage::

    python benchmarks/flow.py                # table
    python benchmarks/flow.py --json         # the same figures as JSON
    python benchmarks/flow.py --pairs 20     # shorter run

Frames: the genuine clip ``../shared/data/real/videos/demo.mp4`` (h264, 340x256, the
size flow is stored at), decoded with PyAV from its first frame and converted to grey.
TV-L1 is :class:`actionkit.video.flow.TVL1` at OpenCV's defaults.

(a) One process, OpenCV limited to one thread (``cv2.setNumThreads(1)``), computes the
first ``--pairs`` (N) consecutive frame pairs. (b) ``--workers`` (2) processes made by
fork, one OpenCV thread each, compute 2N consecutive pairs between them, N each, from
the frames decoded before the fork. Each process times only its loop over pairs (the
OpenCV object is made and used once beforehand); (b)'s time runs from the first worker
starting its loop to the last one finishing. Frames/s counts flow fields (one per pair).
The scaling is (b)'s frames/s over (a)'s, near the worker count when the work scales.

Both parts run in one invocation: on a shared, noisy machine only figures from the same
run compare. TV-L1 stops iterating on convergence, so its cost varies with the content:
(b)'s second half of the pairs is not (a)'s pairs, and the per-worker times show any
imbalance.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.video.flow import TVL1, set_opencv_threads  # noqa: E402
from actionkit.video.images import rgb_to_grey  # noqa: E402

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "videos" / "demo.mp4"

# Set before forking; the workers inherit it without a copy (fork).
_FRAMES: list[np.ndarray] = []


def decode_grey(path: Path, count: int) -> list[np.ndarray]:
    """The first ``count`` frames of ``path`` as uint8 grey ``[H, W]``."""
    import av

    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(rgb_to_grey(frame.to_ndarray(format="rgb24")))
            if len(frames) == count:
                break
    return frames


def time_pairs(span: tuple[int, int]) -> tuple[float, float, int]:
    """Flow over pairs ``(t, t+1)`` for t in ``range(*span)`` of ``_FRAMES``, one OpenCV thread.

    Returns:
        (start, end) of the loop on the system-wide monotonic clock, and the process id.
    """
    set_opencv_threads(1)
    tvl1 = TVL1()
    tvl1(_FRAMES[0][:64, :64], _FRAMES[1][:64, :64])  # make the OpenCV object outside the timing
    start = time.perf_counter()
    for t in range(*span):
        tvl1(_FRAMES[t], _FRAMES[t + 1])
    return start, time.perf_counter(), os.getpid()


def run(pairs: int, workers: int) -> dict:
    """Measure (a) and (b); the figures as a dict."""
    set_opencv_threads(1)  # before any fork: no OpenCV pool threads in the parent
    _FRAMES[:] = decode_grey(CLIP, workers * pairs + 1)
    if len(_FRAMES) < workers * pairs + 1:
        raise SystemExit(f"{CLIP} has {len(_FRAMES)} frames; {workers} x {pairs} pairs need "
                         f"{workers * pairs + 1}: use a smaller --pairs")
    height, width = _FRAMES[0].shape

    start, end, _ = time_pairs((0, pairs))
    single_s = end - start

    spans = [(k * pairs, (k + 1) * pairs) for k in range(workers)]
    with mp.get_context("fork").Pool(workers) as pool:
        timings = pool.map(time_pairs, spans, chunksize=1)
    if len({pid for _, _, pid in timings}) != workers:
        raise RuntimeError("the pool ran two spans in one process; the timing would be serial")
    parallel_s = max(e for _, e, _ in timings) - min(s for s, _, _ in timings)

    single_fps = pairs / single_s
    parallel_fps = workers * pairs / parallel_s
    return {
        "benchmark": "flow",
        "size": f"{width}x{height}",
        "clip": CLIP.name,
        "pairs": pairs,
        "workers": workers,
        "cpu_count": os.cpu_count(),
        "rows": [
            {"setting": "(a) 1 process, 1 OpenCV thread", "processes": 1, "pairs": pairs,
             "seconds": single_s, "frames_per_s": single_fps, "frames_per_s_per_core": single_fps},
            {"setting": f"(b) {workers} fork processes, 1 OpenCV thread each", "processes": workers,
             "pairs": workers * pairs, "seconds": parallel_s, "frames_per_s": parallel_fps,
             "frames_per_s_per_core": parallel_fps / workers,
             "worker_seconds": [e - s for s, e, _ in timings]},
        ],
        "scaling": parallel_fps / single_fps,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=40, help="frame pairs in (a); (b) computes workers x pairs")
    parser.add_argument("--workers", type=int, default=2, help="processes in (b)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.workers < 1:
        parser.error("--pairs and --workers must be at least 1")
    if not CLIP.exists():
        raise SystemExit(f"{CLIP} not found: the benchmark needs the shared genuine clip")
    result = run(args.pairs, args.workers)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"TV-L1 (OpenCV defaults), {result['size']} grey frames of {result['clip']}, "
          f"{result['cpu_count']} CPUs visible")
    head = f"{'setting':<44} {'pairs':>5} {'seconds':>8} {'frames/s':>9} {'per core':>9}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['setting']:<44} {r['pairs']:>5} {r['seconds']:8.2f} {r['frames_per_s']:9.2f} "
              f"{r['frames_per_s_per_core']:9.2f}")
    workers = ", ".join(f"{s:.2f}" for s in result["rows"][1]["worker_seconds"])
    print(f"scaling (b)/(a): {result['scaling']:.2f}x with {result['workers']} processes "
          f"(worker loops: {workers} s)")


if __name__ == "__main__":
    main()
