"""Forward+backward throughput of every skeleton backbone, on this machine's CPU (or GPU).

Each backbone gets a linear head and an SGD step on random NTU-shaped input
(``(N, 3, T, 25, 2)``; NW-UCLA-shaped with ``--layout kinect_v1_20``). Compare the
samples/s with ``benchmarks/loader.py`` to see that the loader is not the bottleneck.

    python benchmarks/train_step.py [--frames 64] [--batch 16] [--device cpu|cuda] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import torch


def measure(name: str, layout, frames: int, batch: int, bodies: int, device: torch.device, steps: int,
            amp: bool) -> dict:
    from actionkit.models import LinearHead, build_backbone, count_flops, count_parameters

    model = build_backbone(name, layout, max_bodies=bodies).to(device)
    head = LinearHead(model.out_dim, 60).to(device)
    flops = count_flops(model, (3, frames, layout.num_joints, bodies))
    opt = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, frames, layout.num_joints, bodies, device=device)
    y = torch.randint(0, 60, (batch,), device=device)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            loss = torch.nn.functional.cross_entropy(head(model(x)).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    dt = (time.perf_counter() - t) / steps
    return {"backbone": name, "params": count_parameters(model), "gflops_fwd": flops / 1e9,
            "step_ms": dt * 1e3, "samples_per_s": batch / dt}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--layout", default="ntu25")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--backbones", default="stgcn,stgcn16,gru,gcn_transformer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from actionkit.layouts import get_layout

    layout = get_layout(args.layout)
    bodies = 2 if layout.name == "ntu25" else 1
    device = torch.device(args.device)
    rows = [measure(b, layout, args.frames, args.batch, bodies, device, args.steps, device.type == "cuda")
            for b in args.backbones.split(",")]
    meta = {"device": str(device), "threads": torch.get_num_threads(), "frames": args.frames, "batch": args.batch,
            "layout": layout.name}
    if args.json:
        print(json.dumps({**meta, "rows": rows}, indent=2))
        return
    print(", ".join(f"{k} {v}" for k, v in meta.items()))
    print(f"{'backbone':<16} {'params':>11} {'GFLOP fwd':>10} {'step ms':>9} {'samples/s':>10}")
    for r in rows:
        print(f"{r['backbone']:<16} {r['params']:>11,} {r['gflops_fwd']:>10.2f} {r['step_ms']:>9.0f} "
              f"{r['samples_per_s']:>10.1f}")


if __name__ == "__main__":
    main()
