"""TV-L1 optical flow pairs/s at 340x256: OpenCV on the CPU cores against the batched torch TV-L1, and their agreement.

Usage::

    python benchmarks/flow.py --device cpu     # torch on the CPU against OpenCV
    python benchmarks/flow.py --device cuda    # torch on the GPU against OpenCV on all CPU cores
    python benchmarks/flow.py --device cuda --compile   # also the torch.compile'd iteration
    python benchmarks/flow.py --quick          # tiny frames and few pairs (checks that it runs)
    python benchmarks/flow.py --json           # the same figures as JSON

Frames: the genuine clip ``../shared/data/real/videos/demo.mp4`` (h264, 340x256, the
size flow is stored at), decoded with PyAV from its first frame and converted to grey
as the prepare pipeline does. Both implementations run OpenCV's defaults.

(a) OpenCV, one process with one OpenCV thread, computes the first ``--opencv-pairs``
(M) consecutive pairs. (b) OpenCV on all cores: ``--workers`` (default: every CPU)
processes made by fork, one OpenCV thread each, compute M pairs each, from the frames
decoded before the fork; its time runs from the first worker starting its loop to the
last one finishing. (c) The torch TV-L1 on ``--device`` computes the first ``--pairs``
(N) pairs in batches of ``--batch`` pairs (torch's own threads on the CPU), after an
untimed warm-up on two pairs; (d), with ``--compile``, the same with the iteration fused
by ``torch.compile`` (compiled in its warm-up, whose time is printed). Pairs/s counts
flow fields. At the fastest torch rate, the time UCF-101's 2.5 million pairs would take
is printed (its 320x240 frames are stored at 341x256).

Agreement: (c)'s flows against (a)'s on their first min(M, N) pairs (and (d)'s against
(c)'s), and on ``--agreement-pairs`` pairs of each other
genuine clip (``test.avi``, UCF-101-style 320x240; the NTU RGB+D video, 1920x1080),
resized so the short side is 256 as the prepare pipeline stores them. Reported in the
store's quantisation (clip +-20 px, 0..255, rounded): the share of pixels within one
level and equal, percentiles of the level difference, and the end-point error (EPE) in
pixels before quantisation.

Everything runs in one invocation: on a shared, noisy machine only figures from the
same run compare. TV-L1 stops iterating on convergence, so its cost varies with the
content; a batch runs until its slowest pair has converged.
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

from actionkit.video.flow import TVL1, quantize_flow, set_opencv_threads  # noqa: E402
from actionkit.video.images import resize_short_side, resize_to, rgb_to_grey  # noqa: E402

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "videos"
CLIP = VIDEOS / "demo.mp4"
OTHER_CLIPS = ("test.avi", "S001C001P001R001A001_rgb.avi")
QUICK_SIZE = (85, 64)  # --quick: a quarter of 340x256

# Set before forking; the workers inherit it without a copy (fork).
_FRAMES: list[np.ndarray] = []


def decode_grey(path: Path, count: int, start: int = 0, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """Frames ``start .. start+count-1`` of ``path`` as uint8 grey ``[H, W]``.

    Args:
        size: ``(width, height)`` to resize to (area); default: the short side to 256
            when it is not already, as the prepare pipeline stores frames.
    """
    import av

    frames = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index < start:
                continue
            rgb = frame.to_ndarray(format="rgb24")
            rgb = resize_to(rgb, *size) if size else resize_short_side(rgb, 256)
            frames.append(rgb_to_grey(rgb))
            if len(frames) == count:
                break
    return frames


def opencv_flows(span: tuple[int, int], keep: bool = False) -> tuple[float, float, int, list[np.ndarray]]:
    """OpenCV flow over pairs ``(t, t+1)`` for t in ``range(*span)`` of ``_FRAMES``, one OpenCV thread.

    Returns:
        (start, end) of the loop on the monotonic clock, the process id, and the flows
        when ``keep``.
    """
    set_opencv_threads(1)
    tvl1 = TVL1()
    tvl1(_FRAMES[0], _FRAMES[1])  # make the OpenCV object outside the timing
    flows = []
    start = time.perf_counter()
    for t in range(*span):
        flow = tvl1(_FRAMES[t], _FRAMES[t + 1])
        if keep:
            flows.append(flow)
    return start, time.perf_counter(), os.getpid(), flows


def agreement(ours: np.ndarray, reference: np.ndarray) -> dict:
    """Quantised and end-point agreement of two flow stacks ``[N, H, W, 2]``."""
    levels = np.abs(quantize_flow(ours).astype(np.int16) - quantize_flow(reference).astype(np.int16))
    epe = np.linalg.norm(ours.astype(np.float64) - reference, axis=-1)
    return {"pairs": int(ours.shape[0]), "pixels": int(epe.size),
            "within_one_level": float((levels <= 1).mean()), "equal_level": float((levels == 0).mean()),
            "level_diff_percentiles": {str(q): float(np.percentile(levels, q)) for q in (50, 90, 99, 99.9, 100)},
            "epe_mean": float(epe.mean()), "epe_p50": float(np.percentile(epe, 50)),
            "epe_p99": float(np.percentile(epe, 99)), "epe_max": float(epe.max())}


UCF101_PAIRS = 2_500_000


def time_torch(estimator, frames: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(flows, seconds, warm-up seconds) of ``estimator.flow_pairs(frames)`` after a two-pair warm-up."""
    import torch

    start = time.perf_counter()
    estimator.flow_pairs(frames[:3])  # untimed: allocation (and compilation)
    warm_s = time.perf_counter() - start
    if estimator.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    flows = estimator.flow_pairs(frames)  # ends with the copy to the host: synchronised
    return flows, time.perf_counter() - start, warm_s


def run(pairs: int, opencv_pairs: int, workers: int, device: str, batch: int, compile: bool, agreement_pairs: int,
        quick: bool) -> dict:
    """Measure (a) to (d) and the agreement; the figures as a dict."""
    import torch

    from actionkit.video.tvl1_torch import TorchTVL1

    set_opencv_threads(1)  # before any fork: no OpenCV pool threads in the parent
    size = QUICK_SIZE if quick else None
    need = max(workers * opencv_pairs, pairs) + 1
    _FRAMES[:] = decode_grey(CLIP, need, size=size)
    if len(_FRAMES) < need:
        raise SystemExit(f"{CLIP} has {len(_FRAMES)} frames; {workers} x {opencv_pairs} OpenCV pairs and {pairs} "
                         f"torch pairs need {need}: use smaller --opencv-pairs / --pairs")
    height, width = _FRAMES[0].shape

    start, end, _, reference = opencv_flows((0, opencv_pairs), keep=True)
    single_s = end - start
    spans = [(k * opencv_pairs, (k + 1) * opencv_pairs) for k in range(workers)]
    with mp.get_context("fork").Pool(workers) as pool:
        timings = pool.map(opencv_flows, spans, chunksize=1)
    if len({pid for *_, pid, _ in timings}) != workers:
        raise RuntimeError("the pool ran two spans in one process; the timing would be serial")
    parallel_s = max(e for _, e, _, _ in timings) - min(s for s, _, _, _ in timings)

    estimator = TorchTVL1(device=device, batch_size=batch)
    frames = np.stack(_FRAMES[:pairs + 1])
    ours, torch_s, warm_s = time_torch(estimator, frames)
    rows = [{"setting": f"(c) torch TV-L1 on {estimator.device.type}, batch {batch}", "pairs": pairs,
             "seconds": torch_s, "pairs_per_s": pairs / torch_s, "warmup_seconds": warm_s}]
    common = min(pairs, opencv_pairs)
    agree = {CLIP.name: agreement(ours[:common], np.stack(reference[:common]))}
    if compile:
        fused, fused_s, fused_warm_s = time_torch(TorchTVL1(device=device, batch_size=batch, compile=True), frames)
        rows.append({"setting": f"(d) torch TV-L1 on {estimator.device.type}, batch {batch}, compiled",
                     "pairs": pairs, "seconds": fused_s, "pairs_per_s": pairs / fused_s,
                     "warmup_seconds": fused_warm_s})
        agree[f"{CLIP.name} (d) vs (c)"] = agreement(fused, ours)
    tvl1 = TVL1()
    for name in OTHER_CLIPS if agreement_pairs else ():
        path = VIDEOS / name
        if not path.exists():
            continue
        grey = np.stack(decode_grey(path, agreement_pairs + 1, start=20, size=size))
        agree[name] = agreement(estimator.flow_pairs(grey),
                                np.stack([tvl1(grey[t], grey[t + 1]) for t in range(len(grey) - 1)]))
        agree[name]["size"] = f"{grey.shape[2]}x{grey.shape[1]}"

    device_name = torch.cuda.get_device_name(estimator.device) if estimator.device.type == "cuda" else \
        f"CPU, {torch.get_num_threads()} torch threads"
    all_cores = workers * opencv_pairs / parallel_s
    best = max(r["pairs_per_s"] for r in rows)
    return {
        "benchmark": "flow",
        "size": f"{width}x{height}",
        "clip": CLIP.name,
        "cpu_count": os.cpu_count(),
        "torch_device": device_name,
        "rows": [
            {"setting": "(a) OpenCV, 1 process, 1 thread", "pairs": opencv_pairs, "seconds": single_s,
             "pairs_per_s": opencv_pairs / single_s},
            {"setting": f"(b) OpenCV, {workers} processes x 1 thread", "pairs": workers * opencv_pairs,
             "seconds": parallel_s, "pairs_per_s": all_cores, "worker_seconds": [e - s for s, e, _, _ in timings]},
            *rows,
        ],
        "torch_over_all_cores": best / all_cores,
        "ucf101_hours_at_best_torch_rate": UCF101_PAIRS / best / 3600,
        "ucf101_hours_opencv_all_cores": UCF101_PAIRS / all_cores / 3600,
        "agreement": agree,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="torch device: cpu, cuda or auto (cuda when available)")
    parser.add_argument("--pairs", type=int, default=None,
                        help="torch pairs in (c) and (d) (default: 128 on CUDA, 8 on CPU, 2 with --quick)")
    parser.add_argument("--opencv-pairs", type=int, default=None,
                        help="OpenCV pairs in (a); (b) computes workers x this (default 8; 2 with --quick)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="OpenCV processes in (b)")
    parser.add_argument("--batch", type=int, default=None,
                        help="torch pairs per batch (default: 32 on CUDA, 8 on CPU, 2 with --quick)")
    parser.add_argument("--compile", action="store_true", help="also time the torch.compile'd iteration (d)")
    parser.add_argument("--agreement-pairs", type=int, default=None,
                        help="pairs of each other genuine clip compared (default 4; 1 with --quick; 0: none)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE[0]}x{QUICK_SIZE[1]} frames, few pairs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    from actionkit.video.tvl1_torch import resolve_device

    try:
        cuda = resolve_device(args.device).type == "cuda"
    except ValueError as exc:
        raise SystemExit(f"error: --device {args.device}: {exc}") from None
    pairs = args.pairs or (2 if args.quick else 128 if cuda else 8)
    batch = args.batch or (2 if args.quick else 32 if cuda else 8)
    opencv_count = args.opencv_pairs or (2 if args.quick else 8)
    agreement_pairs = args.agreement_pairs if args.agreement_pairs is not None else (1 if args.quick else 4)
    if min(pairs, opencv_count, args.workers, batch) < 1 or agreement_pairs < 0:
        parser.error("--pairs, --opencv-pairs, --workers and --batch must be at least 1, --agreement-pairs at least 0")
    if not CLIP.exists():
        raise SystemExit(f"{CLIP} not found: the benchmark needs the shared genuine clip")
    result = run(pairs, opencv_count, args.workers, args.device, batch, args.compile, agreement_pairs, args.quick)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"TV-L1 (OpenCV defaults), {result['size']} grey frames of {result['clip']}, "
          f"{result['cpu_count']} CPUs visible; torch: {result['torch_device']}")
    head = f"{'setting':<46} {'pairs':>5} {'seconds':>8} {'pairs/s':>8}"
    print(head)
    print("-" * len(head))
    for r in result["rows"]:
        print(f"{r['setting']:<46} {r['pairs']:>5} {r['seconds']:8.2f} {r['pairs_per_s']:8.2f}")
    warm = ", ".join(f"{r['warmup_seconds']:.1f} s" for r in result["rows"][2:])
    print(f"fastest torch / OpenCV on all cores: {result['torch_over_all_cores']:.2f}x (torch warm-ups, untimed: "
          f"{warm}); UCF-101's {UCF101_PAIRS:,} pairs at these rates: torch "
          f"{result['ucf101_hours_at_best_torch_rate']:.1f} h, OpenCV {result['ucf101_hours_opencv_all_cores']:.1f} h")
    print("agreement with OpenCV (levels: clip +-20 px, 0..255; EPE in px before quantisation)")
    head = f"{'clip':<30} {'pairs':>5} {'<=1 lvl':>8} {'equal':>7} {'p99 lvl':>7} {'max lvl':>7} " \
           f"{'EPE mean':>8} {'EPE p99':>8}"
    print(head)
    print("-" * len(head))
    for name, a in result["agreement"].items():
        q = a["level_diff_percentiles"]
        print(f"{name:<30} {a['pairs']:>5} {a['within_one_level']:8.4f} {a['equal_level']:7.4f} {q['99']:7.0f} "
              f"{q['100']:7.0f} {a['epe_mean']:8.4f} {a['epe_p99']:8.4f}")


if __name__ == "__main__":
    main()
