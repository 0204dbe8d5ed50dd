"""Benchmark: how fast :func:`actionkit.synthetic.generate_ntu_dataset` writes a raw NTU dataset.

``actionkit demo`` and the tests generate their input; this times the generator on the
load the former wall-clock test used (9 samples of each of the first 12 animated classes,
90-110 frames each: 108 files) and prints files per second. A wall-clock bound has no
place in the test suite (it fails on a busy machine and passes on a broken fast one);
watch this figure instead. Measured on the shared 2-core development machine under a
load of about 9: 11.8 s, 9.2 files/s (the old test allowed 20 s).

Usage: ``python benchmarks/synthetic.py [--samples N] [--classes C] [--repeat R] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.synthetic import ACTIONS, generate_ntu_dataset  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=9, help="samples per class")
    parser.add_argument("--classes", type=int, default=12, help="the first C animated classes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    classes = list(ACTIONS)[: args.classes]
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            files = generate_ntu_dataset(tmp, samples_per_class=args.samples, classes=classes, frames=(90, 110))
            times.append(time.perf_counter() - start)
    best = min(times)
    result = {"files": len(files), "best_s": round(best, 3), "files_per_s": round(len(files) / best, 1),
              "runs_s": [round(t, 3) for t in times]}  # fmt: skip
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['files']} files (90-110 frames): best {best:.2f} s of {args.repeat}, "
              f"{result['files_per_s']} files/s")  # fmt: skip


if __name__ == "__main__":
    main()
