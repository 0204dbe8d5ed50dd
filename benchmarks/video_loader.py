"""Clips/s delivered to the model for each video method's input recipe (DMCL, MML, CMPL).

Usage::

    python benchmarks/video_loader.py                 # table
    python benchmarks/video_loader.py --workers 2 --json

Data: an NW-UCLA-layout raw tree built from the genuine Kinetics-style clip
``../shared/data/real/videos/demo.mp4`` (``--clips`` clips of ``--frames`` frames,
RGB upscaled to the dataset's 640x480, synthesised depth), prepared into an
``rgb,depth,flow`` store at short side 256 (TV-L1 flow; preparation time printed).

Recipes (training views, as the trainers will build them):

- DMCL: rgb + depth + flow, 8 TSN segments, the same indices for all three, a 224 crop
  around a shifted centre and a flip shared by all three;
- MML rgb: uniform or dense (tau 2) sampling 50/50, 8 frames, multi-scale 224 crop, flip;
- MML flow: 8 segments x 5 consecutive x/y pairs (10 channels), multi-scale crop, flip;
- MML rgbdiff: 8 segments x 6 frames -> 5 differences (15 channels), multi-scale crop, flip;
- CMPL weak / strong: 8 frames at stride 8 from a 64-frame window; centre crop (weak) or
  centre crop + RandAugment (n 2, magnitude 9-10) + Cutout (strong).

Each recipe reads ``--items`` items through ``video_loader`` (batch 1) with
``--workers`` processes (0: in this process). The machine is shared: compare within a run.

Video files against frames (second table): ``--clips`` copies of ``demo.mp4`` (h264,
340x256, 280 frames, 4 keyframes) named as Kinetics-400 clips, prepared twice by
``prepare kinetics400``: as the files (``video``, the default) and as JPEG frames
(``rgb``, short side 256: the same pixels). The RGB recipes read both; the figure is
decoded clips/s per worker (clips/s divided by ``max(workers, 1)``).
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
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from actionkit.data.clip_sampling import DenseSampler, MixedSampler, SegmentSampler, StridedClipSampler  # noqa: E402
from actionkit.data.randaugment import RandAugment  # noqa: E402
from actionkit.data.video import VideoClipDataset, video_loader  # noqa: E402
from actionkit.data.video_transforms import (  # noqa: E402
    CentreCrop,
    Compose,
    HorizontalFlip,
    MultiScaleCrop,
    ShiftedCentreCrop,
)
from actionkit.prepare.video import VideoSettings, prepare_video  # noqa: E402
from actionkit.sources.kinetics import KineticsSource  # noqa: E402
from actionkit.sources.nwucla_video import NWUCLAVideoSource  # noqa: E402

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "videos" / "demo.mp4"


def recipes() -> dict:
    flip = HorizontalFlip()
    return {
        "DMCL rgb+depth+flow (8 seg)": (("rgb", "depth", "flow"), SegmentSampler(8),
                                        Compose([ShiftedCentreCrop(224, 16), flip])),
        "MML rgb (uniform|dense, 8)": (("rgb",), MixedSampler([SegmentSampler(8), DenseSampler(8, 2)]),
                                       Compose([MultiScaleCrop(224), flip])),
        "MML flow (8 seg x 5 pairs)": (("flow",), SegmentSampler(8, 5), Compose([MultiScaleCrop(224), flip]),
                                       {"flow": 5}),
        "MML rgbdiff (8 seg x 6 frames)": (("rgbdiff",), SegmentSampler(8), Compose([MultiScaleCrop(224), flip])),
        "CMPL weak (8x8, centre crop)": (("rgb",), StridedClipSampler(8, 8), CentreCrop(224)),
        "CMPL strong (8x8, RandAugment+Cutout)": (("rgb",), StridedClipSampler(8, 8),
                                                  Compose([CentreCrop(224), RandAugment(2, (9, 10), 0.5)])),
    }


def rate(ds: VideoClipDataset, items: int, workers: int) -> tuple[float, dict]:
    """Clips/s through ``video_loader`` (batch 1) and the input shapes."""
    loader = video_loader(ds, 1, shuffle=True, workers=workers)
    shapes = {m: list(x.shape[1:]) for m, x in next(iter(loader))["inputs"].items()}
    t0 = time.perf_counter()
    n = 0
    while n < items:
        for _ in loader:
            n += 1
            if n == items:
                break
    return n / (time.perf_counter() - t0), shapes


def files_against_frames(work: Path, clips: int, items: int, workers: int) -> list[dict]:
    """The RGB recipes on a ``video`` store and on a frames store of the same clips."""
    from rawvideo import kinetics_download

    raw = kinetics_download(work / "k400raw", train_per_class=clips, val_per_class=0, classes=1,
                            clips=("demo.mp4",))
    stores = {}
    for streams in ("video", "rgb"):
        source = KineticsSource([raw / "train"], annotations=raw / "annotations")
        prepare_video(source, work / f"k400-{streams}.zarr", streams=(streams,), settings=VideoSettings(), workers=1)
        stores[streams] = work / f"k400-{streams}.zarr"
    rows = []
    names = ("MML rgb (uniform|dense, 8)", "MML rgbdiff (8 seg x 6 frames)", "CMPL weak (8x8, centre crop)")
    for name in names:
        mods, sampler, transform, *_ = recipes()[name]
        row: dict = {"recipe": name}
        for streams, path in stores.items():
            per_s, _ = rate(VideoClipDataset(path, np.arange(clips), mods, sampler, transform), items, workers)
            row[f"{streams}_clips_per_s_per_worker"] = round(per_s / max(workers, 1), 2)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=2)
    parser.add_argument("--frames", type=int, default=72)
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--files-only", action="store_true",
                        help="only the video-files-against-frames table (skips the TV-L1 store's preparation)")
    args = parser.parse_args()
    if not CLIP.exists():
        sys.exit(f"{CLIP} not found: the benchmark needs the shared genuine clips")
    from rawvideo import real_frames, write_nwucla_clip

    work = Path(tempfile.mkdtemp(prefix="actionkit-loader-"))
    rows: list[dict] = []
    prep = None
    try:
        if not args.files_only:
            frames = real_frames(args.frames)
            for c in range(args.clips):
                write_nwucla_clip(work / "raw", 1, f"a{[1, 2, 3, 4, 5, 6, 8, 9, 11, 12][c % 10]:02d}_s01_e{c:02d}",
                                  frames)  # fmt: skip
            t0 = time.perf_counter()
            prepare_video(NWUCLAVideoSource(work / "raw"), work / "s.zarr", streams=("rgb", "depth", "flow"),
                          settings=VideoSettings(), workers=2)
            prep = round(time.perf_counter() - t0, 1)
            for name, (mods, sampler, transform, *stack) in recipes().items():
                ds = VideoClipDataset(work / "s.zarr", np.arange(args.clips), mods, sampler, transform,
                                      stack=stack[0] if stack else None)
                per_s, shapes = rate(ds, args.items, args.workers)
                rows.append({"recipe": name, "clips_per_s": round(per_s, 2), "shapes": shapes})
        files = files_against_frames(work, args.clips, args.items, args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {"benchmark": "video_loader", "workers": args.workers, "prepare_s": prep, "rows": rows,
              "files_against_frames": files}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    if rows:
        print(f"store: {args.clips} clips x {args.frames} frames, rgb+depth+flow at short side 256, "
              f"prepared in {prep:.1f} s; loader workers: {args.workers}")
        print(f"{'recipe':40s} {'clips/s':>8s}  input shapes [C, T, H, W]")
        for r in rows:
            print(f"{r['recipe']:40s} {r['clips_per_s']:8.2f}  {r['shapes']}")
    print(f"\nvideo files (kinetics400 default) against JPEG frames, {args.clips} copies of demo.mp4: "
          f"decoded clips/s per worker (loader workers: {args.workers})")
    print(f"{'recipe':40s} {'video':>8s} {'frames':>8s}")
    for r in files:
        print(f"{r['recipe']:40s} {r['video_clips_per_s_per_worker']:8.2f} {r['rgb_clips_per_s_per_worker']:8.2f}")


if __name__ == "__main__":
    main()
