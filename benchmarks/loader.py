"""Training-loader throughput: the CMD two-view recipe through a real DataLoader.

Usage::

    python benchmarks/loader.py          # table
    python benchmarks/loader.py --json   # the same figures as JSON

A store is prepared in a temporary folder from procedural NTU-format files
(``actionkit.synthetic.generate_ntu_dataset`` -> ``actionkit.prepare.prepare``), and a
:class:`actionkit.data.SkeletonDataset` over its ``xsub/train`` split yields two CMD
views of 64 frames per sample (``MultiView(cmd_train_view(64), n=2)``). The loader is
``torch.utils.data.DataLoader`` with 2 fork workers, batch 128, persistent workers,
over a ``RandomSampler`` that draws as many samples as the run needs. Figures are
two-view samples per second over ``--batches`` batches after ``--warmup`` batches.

Paths compared:

- ``per-item``: the DataLoader calls ``dataset[i]`` for each sample (the dataset's
  ``__getitems__`` is hidden), each sample augmented on its own;
- ``batched``: the DataLoader calls ``dataset.__getitems__(batch)``, which draws every
  sample's parameters with its own generator and augments the batch at once (one
  crop-resize kernel over the stream, one per-joint 3x3 kernel), writing the batch
  straight into shared memory; ``actionkit.data.collate`` passes it on without a copy
  (the per-item path goes through torch's ``default_collate``);
- each with ``joint`` only and with ``joint+motion+bone`` (motion and bone derived from
  the augmented joints by the workers, which triples the bytes they ship);
- ``batched+derive``: the workers ship the joint views and the consuming loop derives
  motion and bone with :func:`actionkit.data.derive_streams` (what the CMD / I2MD
  reference does in its training step, on the GPU); the derivation runs here on the CPU
  and its time is counted.

The integrity checks (the store's chunk manifest at open, strict shard reads, the
finiteness scan of the loaded stream) run when a dataset is built. ``--checks both``
(the default) builds the batched joint dataset with and without them, alternately
``--repeat`` times, and reports the build time and the samples/s of each, counting the
build in the samples/s (``with build``) so that the checks' whole cost shows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, RandomSampler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.data import MultiView, SkeletonDataset, cmd_train_view, collate, derive_streams  # noqa: E402
from actionkit.prepare import prepare  # noqa: E402
from actionkit.sources.ntu import NTUSource  # noqa: E402
from actionkit.store import open_store  # noqa: E402
from actionkit.store.manifest import integrity_checks  # noqa: E402
from actionkit.synthetic import generate_ntu_dataset  # noqa: E402


class PerItem(torch.utils.data.Dataset):
    """Hides ``__getitems__`` so the DataLoader fetches item by item."""

    def __init__(self, ds: SkeletonDataset):
        self.ds = ds

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, i: int) -> dict:
        return self.ds[i]


def make_store(folder: Path, samples_per_class: int) -> Path:
    raw = folder / "raw"
    generate_ntu_dataset(raw, samples_per_class=samples_per_class, seed=0)
    out = folder / "ntu.zarr"
    prepare(NTUSource([raw], "ntu60"), out, workers=os.cpu_count() or 1)
    return out


def measure(dataset, batch: int, batches: int, warmup: int, workers: int, derive=None) -> dict:
    sampler = RandomSampler(dataset, num_samples=batch * (batches + warmup),
                            generator=torch.Generator().manual_seed(0))  # fmt: skip
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=workers,
                        persistent_workers=workers > 0, drop_last=True, collate_fn=collate,
                        multiprocessing_context="fork" if workers > 0 else None)  # fmt: skip
    it = iter(loader)
    for _ in range(warmup):
        next(it)
    t0 = time.perf_counter()
    n = 0
    for b in it:
        if derive is not None:
            b["derived"] = [derive(v) for v in b["x"]]
        n += b["label"].shape[0]
    seconds = time.perf_counter() - t0
    shape = list(b["x"][0].shape)
    del it, loader
    return {"samples": n, "seconds": round(seconds, 3), "samples_per_s": round(n / seconds, 1), "view_shape": shape}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples-per-class", type=int, default=40)
    parser.add_argument("--checks", choices=("both", "on", "off"), default="both",
                        help="compare the batched joint loader built with and without the integrity checks")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode of the checks comparison")
    parser.add_argument("--skip-paths", action="store_true", help="only the checks comparison")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp), args.samples_per_class)
        transform = MultiView(cmd_train_view(64), n=2)
        checks = compare_checks(store, transform, args) if args.checks != "off" else []
        for streams in () if args.skip_paths else (("joint",), ("joint", "motion", "bone")):
            ds = SkeletonDataset(store, ("xsub", "train"), transform=transform, streams_out=streams)
            ds.__getitems__([0, 1])  # compile the Numba kernels once, before the fork
            for path, dataset in (("per-item", PerItem(ds)), ("batched", ds)):
                r = measure(dataset, args.batch, args.batches, args.warmup, args.workers)
                results.append({"path": path, "streams": "+".join(streams), **r})
        ds = SkeletonDataset(store, ("xsub", "train"), transform=transform, streams_out=("joint",))
        if not args.skip_paths:
            parents = ds.layout.parents
            r = measure(ds, args.batch, args.batches, args.warmup, args.workers,
                        derive=lambda x: derive_streams(x, parents, ("motion", "bone")))  # fmt: skip
            results.append({"path": "batched+derive", "streams": "joint+motion+bone", **r})
        info = {"train_samples": len(ds), "mean_frames": float(ds.frames.mean())}

    meta = {"cpus": os.cpu_count(), "workers": args.workers, "batch": args.batch,
            "batches": args.batches, "warmup": args.warmup, "torch": torch.__version__, **info}  # fmt: skip
    if args.json:
        print(json.dumps({"benchmark": "loader", **meta, "results": results, "checks": checks}, indent=2))
        return
    print(f"CMD two-view loader, 64 frames, batch {args.batch}, {args.workers} workers, "
          f"{meta['cpus']} CPUs, {info['train_samples']} train samples "
          f"(mean {info['mean_frames']:.0f} frames)")  # fmt: skip
    print(f"{'path':<15} {'streams':<18} {'samples/s':>10} {'seconds':>8}")
    for r in results:
        print(f"{r['path']:<15} {r['streams']:<18} {r['samples_per_s']:>10.0f} {r['seconds']:>8.2f}")
    if checks:
        print(f"integrity checks, batched joint loader, fastest of {args.repeat}:")
        print(f"{'checks':<8} {'build s':>8} {'samples/s':>10} {'samples/s with build':>21}")
        for c in checks:
            print(f"{c['checks']:<8} {c['build_seconds']:>8.3f} {c['samples_per_s']:>10.0f} "
                  f"{c['samples_per_s_with_build']:>21.0f}")
        on = checks[0]
        print(f"the checks' own work (manifest at open, finiteness scan): {on['checks_seconds']:.4f} s, "
              f"{on['checks_share']:.2%} of the checked run's build + loading time")
        if len(checks) == 2:
            on, off = checks
            print(f"cost of the checks: {1 - on['samples_per_s_with_build'] / off['samples_per_s_with_build']:.1%} "
                  f"of samples/s with the build, {1 - on['samples_per_s'] / off['samples_per_s']:.1%} without")


def compare_checks(store: Path, transform, args) -> list[dict]:
    """The batched joint loader built with and without the integrity checks, alternately."""
    modes = ("on", "off") if args.checks == "both" else ("on",)
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    for _ in range(args.repeat):
        for mode in modes:
            t0 = time.perf_counter()
            with integrity_checks(mode == "on"):
                ds = SkeletonDataset(store, ("xsub", "train"), transform=transform)
            build = time.perf_counter() - t0
            ds.__getitems__([0, 1])
            r = measure(ds, args.batch, args.batches, args.warmup, args.workers)
            runs[mode].append({"checks": mode, "build_seconds": round(build, 4), **r,
                               "samples_per_s_with_build": round(r["samples"] / (r["seconds"] + build), 1)})
    best = [max(runs[m], key=lambda r: r["samples_per_s_with_build"]) for m in modes]
    # The checks' own work timed alone (robust to a loaded machine): the open-time object
    # check and the finiteness scan, against the fastest checked run's build + loading time.
    from actionkit.data.skeleton import check_finite
    from actionkit.store.manifest import check_objects

    opened = open_store(store)
    data = opened.load_stream("joint")
    t0 = time.perf_counter()
    check_objects(opened.path, opened.attrs)
    check_finite(opened, "joint", data)
    own = time.perf_counter() - t0
    best[0]["checks_seconds"] = round(own, 4)
    best[0]["checks_share"] = own / (best[0]["seconds"] + best[0]["build_seconds"])
    return best


if __name__ == "__main__":
    main()
