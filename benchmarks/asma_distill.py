"""ASMa teacher vs ASMa-Distill student: parameters, FLOPs and CPU latency (ASMa Table 2's columns).

Usage::

    python benchmarks/asma_distill.py                  # NTU-60 shapes: 60 classes, 50 frames, 25 joints, 2 bodies
    python benchmarks/asma_distill.py --classes 120 --json

Teacher: two ``stgcn16`` encoders f_theta and f_phi, the feature-alignment module
(4-head attention both ways) and its classifier, as ``actionkit train asma-distill``
builds it. Student: ``stgcn5`` and a linear classifier. One stream (the paper's
three-stream figures are three times these). FLOPs count a multiply-add as 2 (see
:mod:`actionkit.models.profile`; the paper's thop-style "FLOPs" are multiply-adds, so
halve ours to compare). Latency: the median of ``--repeats`` single-sample forward
passes (batch 1, eval mode, no autograd) after warm-up, on ``--threads`` CPU threads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.layouts import NTU25  # noqa: E402
from actionkit.models import FeatureAlignment, LinearHead, build_backbone, count_flops, count_parameters  # noqa: E402
from actionkit.trainers.asma_distill import AlignedTeacher  # noqa: E402


class Student(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.backbone = build_backbone("stgcn5", NTU25, max_bodies=2)
        self.head = LinearHead(self.backbone.out_dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def latency_ms(model: nn.Module, shape: tuple[int, ...], repeats: int) -> float:
    model.eval()
    x = torch.randn(1, *shape)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, default=60)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = (3, args.frames, 25, 2)
    theta, phi = (build_backbone("stgcn16", NTU25, max_bodies=2) for _ in range(2))
    teacher = AlignedTeacher(theta, phi, FeatureAlignment(256, args.classes, num_heads=4))
    student = Student(args.classes)
    rows = {}
    for name, model in (("teacher (2 x stgcn16 + alignment)", teacher), ("student (stgcn5 + linear)", student)):
        rows[name] = {"params": count_parameters(model), "gflops": count_flops(model, shape) / 1e9,
                      "latency_ms": latency_ms(model, shape, args.repeats)}  # fmt: skip
    t, s = rows.values()
    ratios = {"params": s["params"] / t["params"], "gflops": s["gflops"] / t["gflops"],
              "speed-up": t["latency_ms"] / s["latency_ms"]}  # fmt: skip
    if args.json:
        print(json.dumps({"benchmark": "asma_distill", "input": shape, "classes": args.classes,
                          "threads": args.threads, "models": rows, "student_over_teacher": ratios}, indent=2))
        return
    print(f"one stream, input {shape}, {args.classes} classes, batch 1, {args.threads} CPU thread(s)")
    print(f"{'model':<36} {'params':>10} {'GFLOPs':>8} {'latency ms':>11}")
    for name, r in rows.items():
        print(f"{name:<36} {r['params']:>10,} {r['gflops']:>8.3f} {r['latency_ms']:>11.2f}")
    print(f"student / teacher: {ratios['params']:.1%} of the parameters, {ratios['gflops']:.1%} of the FLOPs, "
          f"{ratios['speed-up']:.1f}x faster")


if __name__ == "__main__":
    main()
