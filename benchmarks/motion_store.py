"""The generated stores the learnability benchmarks train on, and their per-epoch printout.

:mod:`actionkit.synthetic.videos` writes 4 classes in the NW-UCLA RGB-D layout (chance 25%):
``motion`` told apart by motion only (up, down, sideways, circle), ``shape-motion`` by the
patch's shape (square, bar: appearance) and its direction (up, down: motion). They are
prepared like ``actionkit prepare nwucla-rgbd --streams rgb,depth,flow --short-side 64``
(TV-L1 flow). With 12 clips per class and view the cross-view split has 96 training and 48
test videos.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.prepare.video import VideoSettings, prepare_video  # noqa: E402
from actionkit.sources.nwucla_video import NWUCLAVideoSource  # noqa: E402
from actionkit.synthetic.videos import write_motion_videos  # noqa: E402

MODS = ("rgb", "depth", "flow")


def build_store(work: Path, clips: int, seed: int, classes: str = "motion",
                streams: tuple[str, ...] = MODS, flow_device: str = "cpu", workers: int | None = None) -> Path:
    """``work/<classes>-c<clips>-s<seed>-<streams>.zarr``, generated and prepared once, reused when it exists.

    Args:
        work: The benchmark's folder.
        clips: Clips per class and view.
        seed: Seed of the generator.
        classes: ``motion`` or ``shape-motion``.
        streams: The prepared modalities (``("rgb",)`` skips the TV-L1 flow, the slow part).
        flow_device: ``cpu`` (OpenCV), ``cuda`` or ``auto`` (the torch TV-L1 on a GPU).
        workers: Prepare processes (default: all cores; 1: in this process, no start-up).
    """
    tag = f"{classes}-c{clips}-s{seed}"
    device_tag = "" if flow_device == "cpu" or "flow" not in streams else f"-flow{flow_device}"
    store = work / f"{tag}-{'+'.join(streams)}{device_tag}.zarr"
    if not (store / "zarr.json").exists():
        t0 = time.perf_counter()
        raw = write_motion_videos(work / f"raw-{tag}", clips_per_view=clips, seed=seed, classes=classes)
        prepare_video(NWUCLAVideoSource([raw]), store, streams=streams, settings=VideoSettings(short_side=64),
                      overwrite=True, flow_device=flow_device, workers=workers)
        print(f"generated and prepared {store} in {time.perf_counter() - t0:.0f} s", flush=True)
    return store


def epoch_records(run: Path) -> list[dict]:
    """The per-epoch records of ``run/metrics.jsonl`` (those with a training loss)."""
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if "train_loss" in r]


def show_epochs(run: Path, label: str, groups: dict[str, str]) -> None:
    """One line per epoch: for each group title, the metrics whose names start with its prefix.

    Args:
        run: A run folder.
        label: What the lines start with (the variant's name).
        groups: Title -> metric-name prefix, e.g. ``{"train acc": "train_acc_"}``.
    """
    for r in epoch_records(run):
        parts = []
        for title, prefix in groups.items():
            cells = [f"{k[len(prefix):]} {v:.2f}" for k, v in r.items() if k.startswith(prefix) and "+" not in k]
            if cells:
                parts.append(f"{title} [{' '.join(cells)}]")
        print(f"  {label:<14} epoch {r['epoch'] + 1:>2}  " + "  ".join(parts))
