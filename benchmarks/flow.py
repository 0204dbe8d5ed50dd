"""TV-L1 optical flow throughput at 340x256, per core, and its scaling over worker processes.

Usage::

    python benchmarks/flow.py                 # table
    python benchmarks/flow.py --pairs 40 --json

Frames: the genuine Kinetics-style clip ``../shared/data/real/videos/demo.mp4`` (h264
340x256), decoded, grey. (a) One process, OpenCV pinned to one thread, ``--pairs``
consecutive frame pairs: frames/s per core. (b) The same pairs on ``--workers``
processes (forkserver, one OpenCV thread each), every process computing all of them
(``workers x pairs`` in all), so the ratio (b)/(a) is the scaling; near-linear is
``workers``. (c) One process with OpenCV's own threads (its default), for comparison.
All three run in one invocation: the machine is shared, compare only within a run.
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

from actionkit.video.decode import read_frames  # noqa: E402
from actionkit.video.flow import TVL1, set_opencv_threads  # noqa: E402
from actionkit.video.images import rgb_to_grey  # noqa: E402

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "videos" / "demo.mp4"


def grey_frames(pairs: int) -> list[np.ndarray]:
    start = 100  # past the opening frames, where the clip moves
    return [rgb_to_grey(f) for f in read_frames(CLIP, np.arange(start, start + pairs + 1))]


def run_pairs(frames: list[np.ndarray], threads: int | None) -> float:
    """Seconds to compute flow over every consecutive pair."""
    if threads is not None:
        set_opencv_threads(threads)
    tvl1 = TVL1()
    tvl1(frames[0], frames[1])  # create the OpenCV object outside the timing
    t0 = time.perf_counter()
    for a, b in zip(frames[:-1], frames[1:]):
        tvl1(a, b)
    return time.perf_counter() - t0


def _worker(frames: list[np.ndarray]) -> float:
    return run_pairs(frames, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20, help="frame pairs per process")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes in (b)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if not CLIP.exists():
        sys.exit(f"{CLIP} not found: the benchmark needs the shared genuine clips")
    frames = grey_frames(args.pairs)
    h, w = frames[0].shape

    single = run_pairs(frames, 1)
    ctx = mp.get_context("forkserver")
    with ctx.Pool(args.workers) as pool:
        pool.map(_worker, [frames[:3]] * args.workers)  # start-up and imports outside the timing
        t0 = time.perf_counter()
        pool.map(_worker, [frames] * args.workers)
        parallel = time.perf_counter() - t0
    threaded = run_pairs(frames, os.cpu_count() or 1)

    per_core = args.pairs / single
    together = args.workers * args.pairs / parallel
    rows = [
        {"setting": "1 process, 1 OpenCV thread", "frames_per_s": round(per_core, 2)},
        {"setting": f"{args.workers} processes, 1 OpenCV thread each", "frames_per_s": round(together, 2),
         "scaling": round(together / per_core, 2)},
        {"setting": f"1 process, {os.cpu_count()} OpenCV threads", "frames_per_s": round(args.pairs / threaded, 2),
         "scaling": round(single / threaded, 2)},
    ]
    result = {"benchmark": "flow", "size": f"{w}x{h}", "pairs": args.pairs, "cores": os.cpu_count(), "rows": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"TV-L1 (OpenCV defaults) on {w}x{h} grey frames of {CLIP.name}, {args.pairs} pairs per process, "
          f"{os.cpu_count()} cores")
    print(f"{'setting':45s} {'frames/s':>9s} {'x 1 core':>9s}")
    for row in rows:
        scaling = f"{row['scaling']:.2f}" if "scaling" in row else "1.00"
        print(f"{row['setting']:45s} {row['frames_per_s']:9.2f} {scaling:>9s}")


if __name__ == "__main__":
    main()
