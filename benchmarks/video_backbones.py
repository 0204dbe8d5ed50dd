"""Training-step samples/s of every video backbone, at each method's input size.

Usage::

    python benchmarks/video_backbones.py                          # CPU, float32
    python benchmarks/video_backbones.py --size 112 --steps 2     # quicker
    python benchmarks/video_backbones.py --device cuda --bf16 --channels-last --batch 16
    python benchmarks/video_backbones.py --device cuda --bf16 --channels-last --compile --only dmcl

One step = forward, cross-entropy on a linear head, backward, SGD update, on random
clips of the recipe's shape (decoding is benchmarked by ``video_loader.py``). Rows:

- DMCL: R(2+1)D-18 on rgb (3 x 8 x S^2), depth (1 channel) and flow (2 channels);
- MML: TSM-ResNet-50 on rgb (3 x 8), flow (10 x 8: stacked pairs), rgbdiff (15 x 8);
- CMPL: 3D-ResNet-50 on 3 x 8 (8x8 clips) and 3D-ResNet-50 x1/4 on 3 x 16 (16x4 clips).

Printed per row: parameters, forward GFLOPs per clip (2 per multiply-add), samples/s
and ms per step. ``--channels-last`` uses ``channels_last`` (2D) / ``channels_last_3d``
memory; ``--bf16`` runs the forward under bfloat16 autocast; ``--compile`` wraps the
model in ``torch.compile`` (compiled in the untimed warm-up steps, whose time is
printed). ``--variants fp32,bf16+cl,bf16+cl+compile`` measures several settings in one
run. Compare rows within a run: the machine is shared.
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


def bench_row(name: str, channels: int, frames: int, kwargs: dict, args, variant: str) -> dict:
    """One training-step measurement; ``variant`` is ``fp32`` or ``bf16`` with ``+cl`` and/or ``+compile``."""
    bf16, channels_last, compile = variant.startswith("bf16"), "+cl" in variant, "+compile" in variant
    device = torch.device(args.device)
    torch.manual_seed(0)
    backbone = build_video_backbone(name, channels, **kwargs)
    params = count_parameters(backbone)
    flops = count_flops(backbone, (channels, frames, args.size, args.size))
    model = nn.Sequential(backbone, nn.Linear(backbone.out_dim, args.classes)).to(device)
    fmt = torch.channels_last if name.startswith("tsm") else torch.channels_last_3d
    if channels_last:
        model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    forward = torch.compile(model) if compile else model
    x = torch.randn(args.batch, channels, frames, args.size, args.size, device=device)
    if channels_last and fmt is torch.channels_last_3d:  # TSM folds time into the batch itself
        x = x.contiguous(memory_format=fmt)
    y = torch.randint(0, args.classes, (args.batch,), device=device)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = nn.functional.cross_entropy(forward(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    start = time.perf_counter()
    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    warmup_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / args.steps
    return {"params_m": params / 1e6, "gflops": flops / 1e9, "samples_per_s": args.batch / seconds,
            "ms_per_step": seconds * 1e3, "warmup_s": warmup_s}


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
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--variants", default="", help="settings to measure, comma-separated, each fp32 or bf16 "
                        "with +cl (channels-last) and/or +compile, e.g. fp32,bf16,bf16+cl+compile")
    parser.add_argument("--only", default="", help="comma-separated row prefixes (e.g. 'dmcl,cmpl')")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    wanted = [w for w in args.only.split(",") if w]
    results = {}
    flags = ("+cl" if args.channels_last else "") + ("+compile" if args.compile else "")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()] or [("bf16" if args.bf16 else "fp32") + flags]
    for v in variants:
        parts = v.split("+")
        if parts[0] not in ("fp32", "bf16") or any(p not in ("cl", "compile") for p in parts[1:]):
            raise SystemExit(f"--variants: {v!r} is not fp32 or bf16 with +cl and/or +compile")
    print(f"device {args.device}, batch {args.batch}, crop {args.size}, torch threads {torch.get_num_threads()} "
          f"(cl: channels-last)")
    print(f"{'recipe':<18} {'backbone':<12} {'input':<12} {'setting':<17} {'params':>8} {'GFLOPs':>8} "
          f"{'samples/s':>10} {'ms/step':>9} {'warm-up s':>9}")
    for variant in variants:
        for label, name, channels, frames, kwargs in ROWS:
            if wanted and not any(label.startswith(w) for w in wanted):
                continue
            r = bench_row(name, channels, frames, kwargs, args, variant)
            results[f"{label} {variant}"] = {"backbone": name, "variant": variant, **kwargs, **r}
            shape = f"{channels}x{frames}x{args.size}"
            print(f"{label:<18} {name:<12} {shape:<12} {variant:<17} {r['params_m']:>7.1f}M {r['gflops']:>8.1f} "
                  f"{r['samples_per_s']:>10.2f} {r['ms_per_step']:>9.0f} {r['warmup_s']:>9.1f}", flush=True)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
