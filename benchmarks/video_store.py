"""Video stores: TSN clip reads against decord on the video files, and bytes per frame against JPEG folders.

Usage::

    python benchmarks/video_store.py                  # table
    python benchmarks/video_store.py --clips 16 --json

Data: ``--clips`` copies of the genuine Kinetics-style clip
``../shared/data/real/videos/demo.mp4`` (h264 340x256, 280 frames), laid out as a
UCF-101 download and prepared into an ``rgb`` store at short side 256 (so 340x256,
unchanged). Everything runs in one invocation, on one core for every reader.

Reads (clips/s): each clip gives 8 TSN-segment frame indices (one random frame in each
of 8 equal segments, seeded), read as uint8 RGB ``[8, 256, 340, 3]`` by
(a) ``store.images`` from the store; (b) plain decord, ``VideoReader(path).get_batch``
(random access: fast, but not frame-accurate on every file, see ``actionkit.codecs.video``);
(c) ``actionkit.codecs.video.read_frames`` (frame-accurate sequential decode).

Bytes per frame: the store's RGB stream against an MMAction2 ``rawframes`` folder of the
same frames (``img_00001.jpg``, ..., OpenCV JPEG quality 95), both as file bytes and as
disk usage (4 KiB blocks, the usual file-system unit); and TV-L1 flow (``--flow-pairs``
pairs of one clip) stored as the store's lossless PNG pair against the rawframes
``flow_x``/``flow_y`` JPEGs (quality 95). The source h264 file is listed for scale.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit import open_store  # noqa: E402
from actionkit.codecs.images import encode_jpeg, encode_png  # noqa: E402
from actionkit.codecs.video import read_frames  # noqa: E402
from actionkit.prepare.video import VideoSettings, prepare_video  # noqa: E402
from actionkit.sources.ucf101 import UCF101Source  # noqa: E402
from actionkit.video.flow import TVL1, quantize_flow, set_opencv_threads  # noqa: E402
from actionkit.video.images import rgb_to_grey  # noqa: E402

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "videos" / "demo.mp4"
BLOCK = 4096


def on_disk(sizes: list[int]) -> int:
    return sum(-(-s // BLOCK) * BLOCK for s in sizes)


def tsn_indices(frames: int, rng: np.random.Generator, segments: int = 8) -> np.ndarray:
    edges = np.linspace(0, frames, segments + 1)
    return np.array([int(rng.integers(int(a), max(int(a) + 1, int(b)))) for a, b in zip(edges[:-1], edges[1:])])


def clips_per_s(read, clips: int, repeats: int) -> float:
    best = float("inf")
    for r in range(repeats):
        rng = np.random.default_rng(r)
        t0 = time.perf_counter()
        for i in range(clips):
            read(i, rng)
        best = min(best, time.perf_counter() - t0)
    return clips / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--flow-pairs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    if not CLIP.exists():
        sys.exit(f"{CLIP} not found: the benchmark needs the shared genuine clips")
    set_opencv_threads(1)
    work = Path(tempfile.mkdtemp(prefix="actionkit-bench-"))
    try:
        raw = work / "UCF-101" / "ApplyEyeMakeup"
        raw.mkdir(parents=True)
        paths = []
        for g in range(1, args.clips + 1):
            paths.append(raw / f"v_ApplyEyeMakeup_g{g:02d}_c01.avi")
            shutil.copyfile(CLIP, paths[-1])  # an h264 MP4 under a UCF name: the decoders read the content
        (work / "classInd.txt").write_text("1 ApplyEyeMakeup\n")
        t0 = time.perf_counter()
        prepare_video(UCF101Source(work), work / "s.zarr", streams=("rgb",), settings=VideoSettings(), workers=1)
        prepare_s = time.perf_counter() - t0
        store = open_store(work / "s.zarr")
        frames = int(store.samples["frames"][0])

        import decord

        def from_store(i, rng):
            return store.images(i, "rgb", tsn_indices(frames, rng))

        def from_decord(i, rng):
            return decord.VideoReader(str(paths[i]), num_threads=1).get_batch(tsn_indices(frames, rng)).asnumpy()

        def from_sequential(i, rng):
            return read_frames(paths[i], tsn_indices(frames, rng))

        reads = {name: clips_per_s(fn, args.clips, args.repeats) for name, fn in
                 [("store.images (JPEG frames)", from_store), ("decord get_batch (h264 file)", from_decord),
                  ("read_frames, sequential (h264 file)", from_sequential)]}
        check = np.abs(from_store(0, np.random.default_rng(9)).astype(int)
                       - from_decord(0, np.random.default_rng(9)).astype(int)).mean()

        decoded = read_frames(paths[0], np.arange(frames))
        jpeg_sizes = [len(encode_jpeg(f, 95)) for f in decoded]
        blob = store._group["rgb/bytes"].shape[0]
        store_disk = sum(f.stat().st_size for f in (work / "s.zarr" / "rgb").rglob("*") if f.is_file())
        greys = [rgb_to_grey(f) for f in decoded[100:100 + args.flow_pairs + 1]]
        tvl1 = TVL1()
        png, jpg = [], []
        for a, b in zip(greys[:-1], greys[1:]):
            q = quantize_flow(tvl1(a, b))
            xy = [np.ascontiguousarray(q[..., c]) for c in (0, 1)]
            png.append(sum(len(encode_png(c, 6)) for c in xy))
            jpg.append([len(encode_jpeg(c, 95)) for c in xy])
        sizes = {
            "rgb: store (JPEG q95 records, sharded)": (blob / frames / args.clips, store_disk / frames / args.clips),
            "rgb: rawframes img_*.jpg (q95)": (float(np.mean(jpeg_sizes)), on_disk(jpeg_sizes) / frames),
            "rgb: source h264 .mp4": (CLIP.stat().st_size / frames, on_disk([CLIP.stat().st_size]) / frames),
            "flow x+y: store (PNG, lossless)": (float(np.mean(png)), float(np.mean(png))),
            "flow x+y: rawframes flow_x/y_*.jpg (q95)": (float(np.mean([sum(j) for j in jpg])),
                                                        on_disk([s for j in jpg for s in j]) / len(jpg)),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    result = {"benchmark": "video_store", "clips": args.clips, "frames_per_clip": frames,
              "prepare_s": round(prepare_s, 2), "store_vs_decord_mean_abs_diff": round(float(check), 2),
              "reads_clips_per_s": {k: round(v, 2) for k, v in reads.items()},
              "bytes_per_frame": {k: {"file": round(a), "disk": round(b)} for k, (a, b) in sizes.items()}}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.clips} clips x {frames} frames (340x256), rgb store prepared in {prepare_s:.1f} s (1 worker)")
    print(f"\n{'8-frame TSN clip reads, 1 core':40s} {'clips/s':>8s} {'vs decord':>10s}")
    base = reads["decord get_batch (h264 file)"]
    for name, v in reads.items():
        print(f"{name:40s} {v:8.1f} {v / base:9.2f}x")
    print(f"(store frames vs decord frames, mean abs difference: {check:.2f} levels: one JPEG q95 generation)")
    print(f"\n{'bytes per frame':42s} {'file':>8s} {'disk':>8s}")
    for name, (a, b) in sizes.items():
        print(f"{name:42s} {a:8.0f} {b:8.0f}")


if __name__ == "__main__":
    main()
