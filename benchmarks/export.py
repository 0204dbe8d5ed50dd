"""Export throughput and peak memory on an NTU-60-sized store, against a plain ``np.save``.

A store of 56,578 generated samples (NTU's 25 joints, 2 bodies, short random sequences)
is written once, streaming through the store writer. Then, each in a fresh process so
that its peak resident memory is its own:

1. ``actionkit.export`` writes it in a fixed-length format (``stgcn`` by default,
   zero-padded to ``--pad`` frames: one ``(N, 3, T, 25, 2)`` float32 array);
2. a plain ``np.save`` writes an in-memory array of the same shape, once before and once
   after the export (their mean is the baseline; the disk's state drifts).

Only the largest part (``xsub/train``) is exported, so both write one array of the
same size. Every run starts after a ``sync``.

Printed: the export's MB/s (bytes written / wall time, store reading included) and peak
RSS, ``np.save``'s MB/s on the same disk, and their ratio. Goals of the issue: peak RSS
under 1 GB and at least half of ``np.save``'s throughput.

    python benchmarks/export.py [--samples 56578] [--pad 32] [--format stgcn] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def generate(path: Path, samples: int, frames: tuple[int, int], seed: int = 0) -> None:
    """An NTU-60-shaped store of random samples, written sample by sample (never whole in memory)."""
    from actionkit.layouts import NTU25
    from actionkit.store.reader import layout_to_attrs
    from actionkit.store.schema import skeleton_streams
    from actionkit.store.writer import StoreWriter

    rng = np.random.default_rng(seed)
    specs = skeleton_streams(("joint",), 2, 25)
    writer = StoreWriter(path, {"dataset": "ntu60-generated", "samples": samples}, specs, ("performer",),
                         overwrite=True)
    for i in range(samples):
        t = int(rng.integers(frames[0], frames[1] + 1))
        x = rng.standard_normal((t, 2, 25, 3), dtype=np.float32)
        writer.add_sample(f"G{i:06d}", i % 60, {"performer": i % 40 + 1}, {"joint": x})
    writer.flush()
    performer = writer.columns["performer"]
    train = np.flatnonzero(performer <= 20).astype(np.int32)
    test = np.flatnonzero(performer > 20).astype(np.int32)
    writer.finish({"xsub": {"train": train, "test": test}}, {
        "dataset": "ntu60-generated", "kind": "skeleton", "description": "random NTU-shaped samples",
        "layout": layout_to_attrs(NTU25), "max_bodies": 2, "classes": [str(c) for c in range(60)],
        "streams": {s.name: s.as_attrs() for s in specs}, "id_fields": ["performer"],
        "splits": {"xsub": {"train": len(train), "test": len(test)}}, "counts": {"samples": samples},
    })


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def child_export(store: str, fmt: str, out: str, pad: int, protocol: str, part: str) -> dict:
    from actionkit import open_store
    from actionkit.export import ExportOptions, export

    t0 = time.perf_counter()
    report = export(open_store(store), fmt, Path(out), ExportOptions(pad=pad, protocols=(protocol,), parts=(part,)))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "bytes": report.bytes, "peak_rss": _peak_rss(), "files": len(report.files)}


def child_save(shape: list[int], out: str) -> dict:
    array = np.ones(shape, dtype=np.float32)  # every page touched before the clock starts
    t0 = time.perf_counter()
    np.save(out, array)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "bytes": Path(out).stat().st_size, "peak_rss": _peak_rss()}


def run_child(*args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=56578, help="samples in the generated store (NTU-60: 56,578)")
    parser.add_argument("--frames", type=int, nargs=2, default=(8, 24), metavar=("MIN", "MAX"),
                        help="frames per generated sample")
    parser.add_argument("--pad", type=int, default=32, help="fixed length of the exported arrays")
    parser.add_argument("--format", default="stgcn", help="export format (stgcn, ctrgcn, sgn)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/actionkit-export-bench"))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        out = child_export(rest[0], rest[1], rest[2], int(rest[3]), rest[4], rest[5]) if kind == "export" else \
            child_save(json.loads(rest[0]), rest[1])
        print(json.dumps(out))
        return

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    store = work / f"ntu60-generated-{args.samples}-{args.frames[0]}-{args.frames[1]}.zarr"
    t0 = time.perf_counter()
    generated = not (store / "zarr.json").exists()
    if generated:
        generate(store, args.samples, tuple(args.frames))
    gen_seconds = time.perf_counter() - t0
    from actionkit import open_store

    opened = open_store(store)
    # The largest part (xsub train): its export is one array, the same as np.save's.
    protocol, part, largest = max(((p, k, len(v)) for p, parts in opened.splits.items() for k, v in parts.items()),
                                  key=lambda x: x[2])
    shape = [largest, 3, args.pad, 25, 2] if args.format == "stgcn" else [largest, args.pad, 150]
    out = work / "export"
    saves = []
    for turn in ("save", "export", "save"):  # np.save before and after: the disk's state drifts
        shutil.rmtree(out, ignore_errors=True)
        (work / "plain.npy").unlink(missing_ok=True)
        subprocess.run(["sync"], check=False)  # start each from no dirty pages
        if turn == "export":
            exp = run_child("export", str(store), args.format, str(out), str(args.pad), protocol, part)
        else:
            saves.append(run_child("save", json.dumps(shape), str(work / "plain.npy")))
    shutil.rmtree(out, ignore_errors=True)
    (work / "plain.npy").unlink(missing_ok=True)
    save = {"bytes": saves[0]["bytes"], "seconds": sum(s["seconds"] for s in saves) / len(saves),
            "peak_rss": max(s["peak_rss"] for s in saves)}
    figures = {
        "samples": len(opened), "frames": int(opened.samples["frames"].sum()), "format": args.format,
        "pad": args.pad, "store_generated_seconds": round(gen_seconds, 1) if generated else None,
        "export_bytes": exp["bytes"], "export_seconds": round(exp["seconds"], 2),
        "export_mb_s": round(exp["bytes"] / exp["seconds"] / 1e6, 1),
        "export_peak_rss_mb": round(exp["peak_rss"] / 1e6, 1),
        "np_save_bytes": save["bytes"], "np_save_seconds": round(save["seconds"], 2),
        "np_save_mb_s": round(save["bytes"] / save["seconds"] / 1e6, 1),
        "np_save_peak_rss_mb": round(save["peak_rss"] / 1e6, 1),
    }
    figures["throughput_ratio"] = round(figures["export_mb_s"] / figures["np_save_mb_s"], 2)
    figures["goals_met"] = figures["export_peak_rss_mb"] < 1000 and figures["throughput_ratio"] >= 0.5
    if args.json:
        print(json.dumps(figures))
        return
    print(f"store: {figures['samples']:,} samples, {figures['frames']:,} frames ({store})")
    print(f"export {args.format} --pad {args.pad} --protocol {protocol} --parts {part}: "
          f"{exp['bytes'] / 1e6:,.0f} MB in {exp['seconds']:.1f} s = "
          f"{figures['export_mb_s']:,.0f} MB/s, peak RSS {figures['export_peak_rss_mb']:,.0f} MB")
    print(f"np.save {tuple(shape)} float32 (mean of a run before and one after): "
          f"{save['bytes'] / 1e6:,.0f} MB in {save['seconds']:.1f} s = "
          f"{figures['np_save_mb_s']:,.0f} MB/s (peak RSS {figures['np_save_peak_rss_mb']:,.0f} MB)")
    print(f"export / np.save throughput: {figures['throughput_ratio']:.2f}; goals (RSS < 1 GB, ratio >= 0.5): "
          f"{'met' if figures['goals_met'] else 'NOT met'}")


if __name__ == "__main__":
    main()
