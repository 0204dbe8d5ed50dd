"""I2MD / CMD pre-training speed, and the memory of the queue losses.

Usage::

    python benchmarks/pretrain_i2md.py                 # table
    python benchmarks/pretrain_i2md.py --json          # the same figures as JSON
    python benchmarks/pretrain_i2md.py --device cuda   # on a GPU (bf16 autocast)

Two measurements:

1. Pre-training samples/s of full steps (forward, backward, SGD step, momentum update,
   enqueue) of the CMD variant on NTU-shaped input (two views ``[B, 3, T, 25, 2]``,
   three modalities), with the true bidirectional GRU, with actionkit's ``cmd_quirk``
   GRU (the reference's numbers: one length-1 GRU call per frame, both directions
   forward in time, the outputs stacked once) and with the reference's loop as written
   (``torch.cat`` of the outputs so far at every frame, quadratic in T), at ``--frames``
   frames (64: the paper's length); then I2MD with the GCN-Transformer (CMD + IMD).
   The figure is the median of ``--steps`` timed steps after 2 warm-up steps.
2. Memory of mutual distillation at the paper's sizes (B=256, N=16384, K_c=8192,
   D=128): the peak resident memory added by one forward and backward of
   :func:`actionkit.losses.distill` on the CPU, against the size of a ``B x N x D``
   float32 tensor that a naive gather of anchor embeddings would build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.layouts import NTU25  # noqa: E402
from actionkit.losses import distill  # noqa: E402
from actionkit.models import build_backbone  # noqa: E402
from actionkit.models.gru import GRUEncoder  # noqa: E402
from actionkit.trainers.i2md import I2MD, I2MDModelConfig, backbone_kwargs  # noqa: E402


class ConcatEveryStepGRU(GRUEncoder):
    """The CMD reference's recurrence as written: the output so far re-concatenated at every frame."""

    def _run(self, seq: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden, outputs = None, seq.new_zeros(seq.shape[0], 0, self.out_dim)
        for t in range(seq.shape[1]):
            out, hidden = self.gru(seq[:, t : t + 1], hidden)
            outputs = torch.cat((outputs, out), dim=1)
        return outputs, hidden


def make(model: I2MDModelConfig, frames: int, device: torch.device, concat_every_step: bool = False) -> I2MD:
    kwargs = backbone_kwargs(model, frames)
    torch.manual_seed(0)
    if concat_every_step:
        def backbone() -> torch.nn.Module:
            return ConcatEveryStepGRU(NTU25, max_bodies=2, **kwargs)
    else:
        def backbone() -> torch.nn.Module:
            return build_backbone(model.backbone, NTU25, max_bodies=2, **kwargs)
    return I2MD(backbone, NTU25.parents, model).to(device)


def step_rate(method: I2MD, batch: int, frames: int, steps: int, device: torch.device) -> float:
    """Median samples/s over ``steps`` full training steps."""
    opt = torch.optim.SGD([p for p in method.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(0)
    views = {"x": [torch.randn(batch, 3, frames, 25, 2, generator=g).to(device) for _ in range(2)]}
    times = []
    for i in range(steps + 2):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = method(views)["loss"]
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        method.after_step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - t0)
    return batch / statistics.median(times)


def distill_memory() -> dict:
    """Peak RSS added by one distill forward+backward at the paper's sizes (CPU)."""
    b, n, k, d = 256, 16384, 8192, 128
    g = torch.Generator().manual_seed(0)
    tk, sq = (F.normalize(torch.randn(b, d, generator=g), dim=1) for _ in range(2))
    tq, sqq = (F.normalize(torch.randn(n, d, generator=g), dim=1) for _ in range(2))
    sq.requires_grad_()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    distill(tk, tq, sq, sqq, k).backward()
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return {"B": b, "N": n, "K_c": k, "D": d, "peak_added_mb": round(peak_mb, 1),
            "b_x_n_x_d_mb": round(b * n * d * 4 / 2**20, 1), "b_x_n_mb": round(b * n * 4 / 2**20, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--gru-width", type=int, default=1024, help="GRU hidden size (the paper: 1024)")
    parser.add_argument("--no-memory", action="store_true", help="skip the distillation memory measurement")
    parser.add_argument("--quick", action="store_true",
                        help="only the true BiGRU and the reference loop (the speed bar), no GCN-Transformer")
    args = parser.parse_args()
    device = torch.device(args.device)

    memory = None if args.no_memory else distill_memory()  # first: its peak is not hidden by the models'
    small = {"queue_size": 1024, "k_c": 512, "k_a": 64}
    cases = {
        "cmd, BiGRU": I2MDModelConfig(backbone="gru", imd=False, width=args.gru_width, **small),
        "cmd, BiGRU cmd_quirk": I2MDModelConfig(backbone="gru", imd=False, width=args.gru_width, cmd_quirk=True,
                                                **small),  # fmt: skip
        "i2md, GCN-Transformer": I2MDModelConfig(**small),
    }
    timed = ["cmd, BiGRU"] if args.quick else list(cases)
    rates = {name: step_rate(make(cases[name], args.frames, device), args.batch, args.frames, args.steps, device)
             for name in timed}  # fmt: skip
    reference = make(cases["cmd, BiGRU cmd_quirk"], args.frames, device, concat_every_step=True)
    rates["cmd, reference loop"] = step_rate(reference, args.batch, args.frames, args.steps, device)
    speedup = rates["cmd, BiGRU"] / rates["cmd, BiGRU cmd_quirk"] if "cmd, BiGRU cmd_quirk" in rates else None
    speedup_ref = rates["cmd, BiGRU"] / rates["cmd, reference loop"]
    meta = {"device": str(device), "cpus": os.cpu_count(), "threads": torch.get_num_threads(), "frames": args.frames,
            "batch": args.batch, "steps": args.steps, "torch": torch.__version__}  # fmt: skip
    if args.json:
        print(json.dumps({"benchmark": "pretrain_i2md", **meta, "samples_per_s": rates,
                          "true_gru_speedup": speedup, "true_gru_speedup_vs_reference_loop": speedup_ref,
                          "distill_memory": memory}, indent=2))  # fmt: skip
        return
    print(f"I2MD pre-training steps, {args.frames} frames, batch {args.batch}, {device}, {meta['threads']} threads")
    print(f"{'case':<24} {'samples/s':>10}")
    for name, r in rates.items():
        print(f"{name:<24} {r:>10.2f}")
    quirk = f"true BiGRU / cmd_quirk: {speedup:.1f}x per sample; " if speedup is not None else "true BiGRU "
    print(f"{quirk}/ reference loop: {speedup_ref:.1f}x per sample")
    if memory is None:
        return
    print(f"distill at B={memory['B']}, N={memory['N']}, K_c={memory['K_c']}, D={memory['D']}: "
          f"peak +{memory['peak_added_mb']} MB (a B x N x D tensor: {memory['b_x_n_x_d_mb']} MB; "
          f"B x N: {memory['b_x_n_mb']} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
