"""DMCL learnability on this CPU: a generated motion dataset, DMCL against its baselines, per-epoch winners.

Usage::

    python benchmarks/dmcl_learnability.py                              # dmcl and independent
    python benchmarks/dmcl_learnability.py --strategies dmcl,independent,smcl,cmcl,random-teacher --epochs 20
    python benchmarks/dmcl_learnability.py --strategies dmcl --epochs 2 --device cuda --flow-device cuda  # GPU check
    python benchmarks/dmcl_learnability.py --strategies dmcl --epochs 2 --clips 1 --set data.workers=0 data.crop=32

Data: :mod:`actionkit.synthetic.videos` (4 classes told apart by motion only; 12 clips
per class and view, 24 frames, 128x96) written in the NW-UCLA RGB-D layout and prepared
with ``actionkit prepare nwucla-rgbd --streams rgb,depth,flow --short-side 64`` (TV-L1
flow); cross-view split: 96 training and 48 test videos; chance is 25%.

Each strategy trains with the ``motion-cpu`` preset (R(2+1)D-18 at quarter width, 56
crops, batch 8, lr 0.05) from the same seed. Printed: per epoch, how often each modality
won and each network's training accuracy; at the end, each network's test accuracy
(10 clips per video), Sigma and the oracle Phi, and the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from motion_store import build_store, show_epochs  # noqa: E402

from actionkit.trainers.registry import resolve_config, train  # noqa: E402

GROUPS = {"wins": "train_win_", "train acc": "train_acc_", "test": "test_acc_"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="dmcl,independent")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--clips", type=int, default=12, help="clips per class and view")
    parser.add_argument("--classes", default="motion", choices=("motion", "shape-motion"),
                        help="generated class set (actionkit.synthetic.videos)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=None, help="keep the store and runs here")
    parser.add_argument("--device", default="auto", help="training device: auto, cpu or cuda (run.device)")
    parser.add_argument("--flow-device", default="cpu", help="where the store's flow is computed: cpu, cuda, auto")
    parser.add_argument("--modalities", default="rgb,depth,flow", help="the modalities prepared and trained")
    parser.add_argument("--max-steps", type=int, default=0, help="stop each run after this many steps (0: none)")
    parser.add_argument("--prepare-workers", type=int, default=None,
                        help="processes preparing the store (default: all cores; 1: in this process)")
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE",
                        help="more config overrides, after the benchmark's own (e.g. data.workers=0)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="dmcl-learn-"))
    work.mkdir(parents=True, exist_ok=True)
    modalities = tuple(m.strip() for m in args.modalities.split(",") if m.strip())
    t0 = time.perf_counter()
    store = build_store(work, args.clips, args.seed, args.classes, streams=modalities, flow_device=args.flow_device,
                        workers=args.prepare_workers)
    print(f"store ready in {time.perf_counter() - t0:.1f} s (flow on {args.flow_device})", flush=True)
    results = {}
    for strategy in args.strategies.split(","):
        run = work / f"run-dmcl-{store.stem}-{strategy}-e{args.epochs}-{args.device}"
        cfg = resolve_config("dmcl", "motion-cpu", [f"run.epochs={args.epochs}", f"run.seed={args.seed}",
                                                    f"optim.milestones={max(1, args.epochs * 3 // 4)}",
                                                    f"run.device={args.device}", f"run.max_steps={args.max_steps}",
                                                    f"data.modalities={','.join(modalities)}", *args.overrides],
                             str(store), variant=strategy)  # fmt: skip
        t0 = time.perf_counter()
        summary = train("dmcl", cfg, out=run) if not (run / "summary.json").exists() else \
            json.loads((run / "summary.json").read_text())
        results[strategy] = {**summary, "wall_s": round(time.perf_counter() - t0, 1)}
        show_epochs(run, strategy, GROUPS)
    print(f"\n{'strategy':<14} " + " ".join(f"{m:>7}" for m in (*modalities, "sum", "oracle")) + "   wall s")
    for strategy, r in results.items():
        cells = " ".join(f"{100 * r[f'acc_{m}']:>6.1f}%" for m in (*modalities, "sum", "oracle"))
        print(f"{strategy:<14} {cells}   {r['wall_s']:>6.0f}")
    print(f"(runs in {work}; chance 25%)")


if __name__ == "__main__":
    main()
