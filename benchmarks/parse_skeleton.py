"""Benchmark: the NTU ``.skeleton`` parser kernel against a plain Python parser.

Generates a few hundred realistic files in memory (genuine layout, CRLF, 7 significant
digits, ``E-05`` exponents, 1-2 bodies, about 100 frames, about 150-300 KB each), then
measures in the same run:

* ``python``: a straightforward line-by-line parser (``split()`` and ``float()``, as
  the reference pipelines read the files), filling the same arrays;
* ``kernel``: :func:`actionkit.kernels.skeleton_text.parse_ntu_skeleton`;
* ``kernel+tracked``: parsing plus ``tracked`` body selection, the per-file work of a prepare.

Usage: ``python benchmarks/parse_skeleton.py [--files N] [--repeat R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.kernels.bodies import select_bodies  # noqa: E402
from actionkit.kernels.skeleton_text import parse_ntu_skeleton  # noqa: E402


def _g7(v: float) -> str:
    return format(v, ".7G")


def make_file(rng: np.random.Generator) -> bytes:
    """One file in the genuine layout with plausible Kinect values."""
    n_frames = int(rng.integers(80, 121))
    n_bodies = 1 if rng.random() < 0.6 else 2
    base_ids = [72057594037927936 + int(rng.integers(0, 10**5)) for _ in range(n_bodies)]
    skeleton = rng.normal(0.0, 0.3, size=(n_bodies, 25, 3)) + [0.0, 0.0, 3.0]
    out = [str(n_frames)]
    for t in range(n_frames):
        out.append(str(n_bodies))
        for b in range(n_bodies):
            out.append(
                f"{base_ids[b]} 0 1 1 {int(rng.integers(0, 2))} 1 0 "
                f"{_g7(rng.normal(0, 0.05))} {_g7(rng.normal(0, 0.05))} 2"
            )
            out.append("25")
            xyz = skeleton[b] + 0.01 * t + rng.normal(0.0, 0.005, size=(25, 3))
            depth = rng.uniform(100, 400, size=(25, 2))
            color = rng.uniform(300, 1500, size=(25, 2))
            orient = rng.uniform(-1, 1, size=(25, 4))
            orient[rng.random(25) < 0.15] = 0.0
            small = rng.random((25, 3)) < 0.01
            xyz[small] *= 1e-4  # some tiny values, written as 1.234567E-05
            for j in range(25):
                fields = [_g7(float(v)) for v in xyz[j]]
                fields += [_g7(float(v)) for v in depth[j]] + [_g7(float(v)) for v in color[j]]
                fields += [_g7(float(v)) for v in orient[j]]
                fields.append("2" if rng.random() < 0.9 else "1")
                out.append(" ".join(fields))
    return ("\r\n".join(out) + "\r\n").encode("ascii")


def python_parse(data: bytes):
    """A plain readline/float() parser producing the same arrays as the kernel."""
    lines = data.decode("ascii").splitlines()
    pos = 0
    frames = int(lines[pos])
    pos += 1
    bodies_per_frame = np.zeros(frames, dtype=np.int32)
    body_frame, body_id, xyz = [], [], []
    for t in range(frames):
        nb = int(lines[pos])
        pos += 1
        bodies_per_frame[t] = nb
        for _ in range(nb):
            fields = lines[pos].split()
            body_id.append(int(fields[0]))
            [float(v) for v in fields[1:]]
            nj = int(lines[pos + 1])
            pos += 2
            joints = []
            for j in range(nj):
                values = [float(v) for v in lines[pos + j].split()]
                joints.append(values[:3])
            pos += nj
            body_frame.append(t)
            xyz.append(joints)
    return bodies_per_frame, np.array(body_frame, np.int32), np.array(body_id, np.int64), np.array(xyz)


def _measure(fn, files: list[bytes], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for d in files:
            fn(d)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=300, help="files to generate (default 300)")
    ap.add_argument("--repeat", type=int, default=5, help="timing repeats, best kept (default 5)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    files = [make_file(rng) for _ in range(args.files)]
    total_mb = sum(len(d) for d in files) / 1e6

    t0 = time.perf_counter()
    parse_ntu_skeleton(files[0])
    select_bodies(parse_ntu_skeleton(files[0]), "tracked")
    first_call_s = time.perf_counter() - t0  # compilation, or loading the on-disk cache

    # both parsers must agree before being timed
    for d in files[:20]:
        p = parse_ntu_skeleton(d)
        bpf, bf, bid, xyz = python_parse(d)
        assert np.array_equal(p.bodies_per_frame, bpf) and np.array_equal(p.body_id, bid)
        assert np.array_equal(p.xyz, xyz)

    py_files = files[: max(1, min(len(files), 60))]
    py_mb = sum(len(d) for d in py_files) / 1e6
    t_py = _measure(python_parse, py_files, 1)
    t_kernel = _measure(parse_ntu_skeleton, files, args.repeat)
    t_full = _measure(lambda d: select_bodies(parse_ntu_skeleton(d), "tracked"), files, args.repeat)

    rows = {
        "python": {"mb_per_s": py_mb / t_py, "files_per_s": len(py_files) / t_py},
        "kernel": {"mb_per_s": total_mb / t_kernel, "files_per_s": len(files) / t_kernel},
        "kernel+tracked": {"mb_per_s": total_mb / t_full, "files_per_s": len(files) / t_full},
    }
    result = {
        "benchmark": "parse_skeleton",
        "files": len(files),
        "mean_file_kb": 1000 * total_mb / len(files),
        "python_files_timed": len(py_files),
        "first_call_s": first_call_s,
        "speedup_kernel_vs_python": rows["kernel"]["mb_per_s"] / rows["python"]["mb_per_s"],
        "single_core": True,
        "cpu": platform.processor() or platform.machine(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "results": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{len(files)} generated files, {result['mean_file_kb']:.0f} KB on average, one core")
    print(f"first call (compile or cache load): {first_call_s:.2f} s")
    print(f"{'parser':<16}{'MB/s':>10}{'files/s':>10}")
    for name, r in rows.items():
        print(f"{name:<16}{r['mb_per_s']:>10.1f}{r['files_per_s']:>10.1f}")
    print(f"kernel vs python: {result['speedup_kernel_vs_python']:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
