"""Training-step samples/s of every video backbone, at each method's input size.

Usage::

    python benchmarks/video_backbones.py                          # CPU, float32
    python benchmarks/video_backbones.py --size 112 --steps 2     # quicker
    python benchmarks/video_backbones.py --device cuda --bf16 --channels-last --batch 16

One step = forward, cross-entropy on a linear head, backward, SGD update, on random
clips of the recipe's shape (decoding is benchmarked by ``video_loader.py``). Rows:

- DMCL: R(2+1)D-18 on rgb (3 x 8 x S^2), depth (1 channel) and flow (2 channels);
- MML: TSM-ResNet-50 on rgb (3 x 8), flow (10 x 8: stacked pairs), rgbdiff (15 x 8);
- CMPL: 3D-ResNet-50 on 3 x 8 (8x8 clips) and 3D-ResNet-50 x1/4 on 3 x 16 (16x4 clips).

Printed per row: parameters, forward GFLOPs per clip (2 per multiply-add), samples/s
and ms per step. ``--channels-last`` uses ``channels_last`` (2D) / ``channels_last_3d``
memory; ``--bf16`` runs the forward under bfloat16 autocast. Compare rows within a
run: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.models import build_video_backbone, count_flops, count_parameters  # noqa: E402

ROWS = [
    ("dmcl rgb", "r2plus1d18", 3, 8, {}),
    ("dmcl depth", "r2plus1d18", 1, 8, {}),
    ("dmcl flow", "r2plus1d18", 2, 8, {}),
    ("mml rgb", "tsm50", 3, 8, {}),
    ("mml flow", "tsm50", 10, 8, {}),
    ("mml rgbdiff", "tsm50", 15, 8, {}),
    ("cmpl primary 8x8", "resnet3d50", 3, 8, {}),
    ("cmpl aux 16x4", "resnet3d50", 3, 16, {"width": 0.25}),
]


def bench_row(name: str, channels: int, frames: int, kwargs: dict, args) -> dict:
    device = torch.device(args.device)
    torch.manual_seed(0)
    backbone = build_video_backbone(name, channels, **kwargs)
    params = count_parameters(backbone)
    flops = count_flops(backbone, (channels, frames, args.size, args.size))
    model = nn.Sequential(backbone, nn.Linear(backbone.out_dim, args.classes)).to(device)
    fmt = torch.channels_last if name.startswith("tsm") else torch.channels_last_3d
    if args.channels_last:
        model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x = torch.randn(args.batch, channels, frames, args.size, args.size, device=device)
    y = torch.randint(0, args.classes, (args.batch,), device=device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / args.steps
    return {"params_m": params / 1e6, "gflops": flops / 1e9, "samples_per_s": args.batch / seconds,
            "ms_per_step": seconds * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=224, help="crop size S")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated row prefixes (e.g. 'dmcl,cmpl')")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    wanted = [w for w in args.only.split(",") if w]
    results = {}
    print(f"device {args.device}, batch {args.batch}, crop {args.size}, bf16 {args.bf16}, "
          f"channels_last {args.channels_last}, torch threads {torch.get_num_threads()}")
    print(f"{'recipe':<18} {'backbone':<12} {'input':<12} {'params':>8} {'GFLOPs':>8} {'samples/s':>10} {'ms/step':>9}")
    for label, name, channels, frames, kwargs in ROWS:
        if wanted and not any(label.startswith(w) for w in wanted):
            continue
        r = bench_row(name, channels, frames, kwargs, args)
        results[label] = {"backbone": name, **kwargs, **r}
        shape = f"{channels}x{frames}x{args.size}"
        print(f"{label:<18} {name:<12} {shape:<12} {r['params_m']:>7.1f}M {r['gflops']:>8.1f} "
              f"{r['samples_per_s']:>10.2f} {r['ms_per_step']:>9.0f}", flush=True)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
