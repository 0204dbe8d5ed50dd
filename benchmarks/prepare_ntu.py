"""Prepare throughput, peak memory and store size on NTU-format input of realistic size.

A pool of procedurally generated ``.skeleton`` files (genuine layout and number
formatting, 40-150 frames, one or two bodies, some noise bodies) is generated once; N
distinct NTU sample names are then made as symbolic links into the pool, so inputs of
NTU-60 or NTU-120 size cost no disk. Each size is prepared in a fresh process, whose
peak resident memory (main process and, separately, the largest worker) is reported.

    python benchmarks/prepare_ntu.py                      # 2,000 / 8,000 / 32,000 files
    python benchmarks/prepare_ntu.py --sizes 114480       # NTU-120-sized input
    python benchmarks/prepare_ntu.py --json

Every size is prepared with the integrity checks (the chunk manifest: every object's
CRC-32C, written at finish) and without them (``--checks both``, the default), alternately
``--repeat`` times, so their cost is measured in the same run: the fastest of each is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RUN_ONE = r"""
import json, resource, sys, time
from pathlib import Path
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.store.manifest import integrity_checks
t = time.perf_counter()
with integrity_checks(sys.argv[4] == "on"):
    report = prepare(NTUSource([Path(sys.argv[1])], "ntu60"), Path(sys.argv[2]), workers=int(sys.argv[3]),
                     overwrite=True)
seconds = time.perf_counter() - t
manifest_s = 0.0
if sys.argv[4] == "on":  # the checks' own work, timed alone: what finish spent on the manifest
    from actionkit.store.manifest import write_manifest
    t = time.perf_counter()
    write_manifest(Path(sys.argv[2]))
    manifest_s = time.perf_counter() - t
# VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the high-water mark of the forked
# parent across exec, so it would report the benchmark's own memory.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({
    "seconds": seconds, "manifest_seconds": manifest_s, "samples": report.samples, "frames": report.frames,
    "skipped": len(report.skipped),
    "bytes": report.bytes,
    "peak_rss_main_mb": hwm / 1024,
    "peak_rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def make_names(n: int) -> list[str]:
    """``n`` distinct NTU-60 names spread over setups, cameras, performers and replications."""
    names = []
    for i in range(n):
        action = i % 60 + 1
        rest = i // 60
        names.append(f"S{rest % 17 + 1:03d}C{rest // 17 % 3 + 1:03d}P{rest // 51 % 40 + 1:03d}"
                     f"R{rest // 2040 % 2 + 1:03d}A{action:03d}")
    assert len(set(names)) == n, "more names than NTU-60 ids allow"
    return names


def build_input(pool: list[Path], n: int, folder: Path) -> int:
    folder.mkdir(parents=True)
    total = 0
    for i, name in enumerate(make_names(n)):
        target = pool[i % len(pool)]
        os.symlink(target, folder / f"{name}.skeleton")
        total += target.stat().st_size
    return total


def padded_bytes(samples: int) -> int:
    """Bytes of the padded float32 (N, 3, 300, 25, 2) array most pipelines build today."""
    return samples * 3 * 300 * 25 * 2 * 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,8000,32000", help="comma-separated file counts")
    parser.add_argument("--pool", type=int, default=34, help="generated files per class in the pool (12 classes)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--checks", choices=("both", "on", "off"), default="both",
                        help="prepare with the integrity checks, without, or both (alternately) to compare")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size and mode (the fastest counts)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    modes = ("on", "off") if args.checks == "both" else (args.checks,)

    from actionkit import open_store
    from actionkit.store.inspect import disk_size
    from actionkit.synthetic import generate_ntu_dataset

    rows = []
    with tempfile.TemporaryDirectory(prefix="actionkit-bench-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        pool = sorted(generate_ntu_dataset(tmp / "pool", samples_per_class=args.pool, seed=0))
        gen_s = time.perf_counter() - t
        pool_frames = [int(p.read_text().split(maxsplit=1)[0]) for p in pool]
        for k, n in enumerate(int(s) for s in args.sizes.split(",")):
            raw = tmp / f"raw{k}_{n}"
            text_bytes = build_input(pool, n, raw)
            out = tmp / f"s{k}_{n}.zarr"
            runs: dict[str, list[dict]] = {m: [] for m in modes}
            for _ in range(args.repeat):
                for mode in modes:  # alternately: both modes see the same machine load
                    proc = subprocess.run([sys.executable, "-c", RUN_ONE, str(raw), str(out), str(args.workers),
                                           mode], capture_output=True, text=True, check=True)
                    runs[mode].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            best = {m: min(r, key=lambda x: x["seconds"]) for m, r in runs.items()}
            res = best[modes[-1]] if len(modes) == 1 else best["off"]  # the last store written: checks off
            checks = {f"seconds_checks_{m}": best[m]["seconds"] for m in modes}
            checks.update({f"files_per_s_checks_{m}": n / best[m]["seconds"] for m in modes})
            if len(modes) == 2:
                checks["checks_cost"] = best["on"]["seconds"] / best["off"]["seconds"] - 1
            if "on" in modes:  # robust to a loaded machine: the manifest's time over the whole prepare
                checks["manifest_seconds"] = min(r["manifest_seconds"] for r in runs["on"])
                checks["manifest_share"] = checks["manifest_seconds"] / best["on"]["seconds"]
            store = open_store(out)
            t = time.perf_counter()
            for f in sorted((out / "joint").rglob("*")):
                if f.is_file():
                    f.read_bytes()
            disk_s = time.perf_counter() - t
            t = time.perf_counter()
            joint = store.load_stream("joint")
            load_s = time.perf_counter() - t
            t = time.perf_counter()
            copied = joint.copy()  # the ceiling: memory bandwidth into a fresh array
            copy_s = time.perf_counter() - t
            del copied
            joint_disk = disk_size(out / "joint")
            rows.append({
                "files": n,
                "files_per_s": n / res["seconds"],
                "text_mb_per_s": text_bytes / res["seconds"] / 1e6,
                "seconds": res["seconds"],
                "samples": res["samples"],
                "skipped": res["skipped"],
                "peak_rss_main_mb": res["peak_rss_main_mb"],
                "peak_rss_worker_mb": res["peak_rss_worker_mb"],
                "joint_bytes": joint_disk,
                "joint_vs_padded": joint_disk / padded_bytes(res["samples"]),
                "store_bytes": res["bytes"],
                "load_joint_mb_per_s": joint.nbytes / load_s / 1e6,
                "load_joint_disk_mb_per_s": joint_disk / load_s / 1e6,
                "read_joint_files_mb_per_s": joint_disk / disk_s / 1e6,
                "copy_joint_mb_per_s": joint.nbytes / copy_s / 1e6,
                **checks,
            })
            del joint
            for link in raw.iterdir():
                link.unlink()
    result = {
        "workers": args.workers,
        "pool_files": len(pool),
        "pool_mean_frames": float(np.mean(pool_frames)),
        "pool_generation_s": gen_s,
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"input: {len(pool)} generated files (mean {result['pool_mean_frames']:.0f} frames) "
          f"linked under NTU names; {args.workers} workers; fastest of {args.repeat} runs per mode")
    if len(modes) == 2:
        print(f"{'files':>8} {'files/s checks on':>17} {'files/s checks off':>18} {'cost of the checks':>18} "
              f"{'manifest s':>10} {'manifest share':>14}")
        for r in rows:
            print(f"{r['files']:>8} {r['files_per_s_checks_on']:>17.0f} {r['files_per_s_checks_off']:>18.0f} "
                  f"{r['checks_cost']:>18.1%} {r['manifest_seconds']:>10.2f} {r['manifest_share']:>14.1%}")
    header = (f"{'files':>8} {'files/s':>8} {'text MB/s':>9} {'peak main MB':>12} {'peak worker MB':>14} "
              f"{'joint/padded':>12} {'store MB':>9} {'load joint MB/s':>15} {'(on disk MB/s)':>14} "
              f"{'read files MB/s':>15} {'np.copy MB/s':>12}")
    print(header)
    for r in rows:
        print(f"{r['files']:>8} {r['files_per_s']:>8.0f} {r['text_mb_per_s']:>9.1f} {r['peak_rss_main_mb']:>12.0f} "
              f"{r['peak_rss_worker_mb']:>14.0f} {r['joint_vs_padded']:>12.1%} {r['store_bytes'] / 1e6:>9.1f} "
              f"{r['load_joint_mb_per_s']:>15.0f} {r['load_joint_disk_mb_per_s']:>14.0f} "
              f"{r['read_joint_files_mb_per_s']:>15.0f} {r['copy_joint_mb_per_s']:>12.0f}")


if __name__ == "__main__":
    main()
