"""Forward+backward throughput of every skeleton backbone, on this machine's CPU (or GPU).

Each backbone gets a linear head and an SGD step on random NTU-shaped input
(``(N, 3, T, 25, 2)``; NW-UCLA-shaped with ``--layout kinect_v1_20``). Compare the
samples/s with ``benchmarks/loader.py`` to see that the loader is not the bottleneck.

    python benchmarks/train_step.py [--frames 64] [--batch 16] [--device cpu|cuda] [--json]
    python benchmarks/train_step.py --device cuda --precision bf16 --channels-last --compile

``--precision``: fp32, or bf16 autocast (default: bf16 on CUDA, fp32 on CPU).
``--channels-last`` keeps the model and input in ``channels_last`` memory (the
convolutional backbones work on ``[N, C, T, V]`` maps); ``--compile`` wraps the backbone
in ``torch.compile`` (the compile time is in the untimed warm-up steps, and printed).
``--variants fp32,bf16,bf16+cl,bf16+cl+compile`` measures several settings in one run
(``cl``: channels-last), one row per backbone and setting.
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def measure(name: str, layout, frames: int, batch: int, bodies: int, device: torch.device, steps: int,
            amp: bool, channels_last: bool = False, compile: bool = False) -> dict:
    from actionkit.models import LinearHead, build_backbone, count_flops, count_parameters

    model = build_backbone(name, layout, max_bodies=bodies).to(device)
    head = LinearHead(model.out_dim, 60).to(device)
    flops = count_flops(model, (3, frames, layout.num_joints, bodies))
    opt = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, frames, layout.num_joints, bodies, device=device)
    y = torch.randint(0, 60, (batch,), device=device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    forward = torch.compile(model) if compile else model

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(head(forward(x)).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    t = time.perf_counter()
    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    warmup_s = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / steps
    return {"backbone": name, "params": count_parameters(model), "gflops_fwd": flops / 1e9,
            "step_ms": dt * 1e3, "samples_per_s": batch / dt, "warmup_s": warmup_s}


def parse_variant(text: str) -> str:
    """``fp32`` or ``bf16``, then optional ``+cl`` and ``+compile``, in that order (as typed, validated)."""
    parts = text.strip().split("+")
    if parts[0] not in ("fp32", "bf16") or any(p not in ("cl", "compile") for p in parts[1:]):
        raise SystemExit(f"--variants: {text!r} is not fp32 or bf16 with +cl and/or +compile")
    return text.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--layout", default="ntu25")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--backbones", default="stgcn,stgcn16,gru,gcn_transformer")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"),
                        help="bf16 autocast or fp32 (auto: bf16 on CUDA)")
    parser.add_argument("--channels-last", action="store_true", help="channels_last memory for model and input")
    parser.add_argument("--compile", action="store_true", help="torch.compile the backbone")
    parser.add_argument("--variants", default="", help="settings to measure, comma-separated, each fp32 or bf16 "
                        "with +cl (channels-last) and/or +compile, e.g. fp32,bf16,bf16+cl+compile")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from actionkit.layouts import get_layout

    layout = get_layout(args.layout)
    bodies = 2 if layout.name == "ntu25" else 1
    device = torch.device(args.device)
    bf16 = args.precision == "bf16" or (args.precision == "auto" and device.type == "cuda")
    variants = [parse_variant(v) for v in args.variants.split(",") if v] or [
        ("bf16" if bf16 else "fp32") + ("+cl" if args.channels_last else "") + ("+compile" if args.compile else "")]
    rows = [{"variant": name, **measure(b, layout, args.frames, args.batch, bodies, device, args.steps,
                                        name.startswith("bf16"), "+cl" in name, "+compile" in name)}
            for name in variants for b in args.backbones.split(",")]
    meta = {"device": str(device), "threads": torch.get_num_threads(), "frames": args.frames, "batch": args.batch,
            "layout": layout.name}
    if args.json:
        print(json.dumps({**meta, "rows": rows}, indent=2))
        return
    print(", ".join(f"{k} {v}" for k, v in meta.items()))
    print(f"{'backbone':<16} {'setting':<17} {'params':>11} {'GFLOP fwd':>10} {'step ms':>9} {'samples/s':>10} "
          f"{'warm-up s':>10}")
    for r in rows:
        print(f"{r['backbone']:<16} {r['variant']:<17} {r['params']:>11,} {r['gflops_fwd']:>10.2f} "
              f"{r['step_ms']:>9.0f} {r['samples_per_s']:>10.1f} {r['warmup_s']:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
