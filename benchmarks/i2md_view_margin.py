"""How much of a sample survives I2MD's ISC views, seen by an untrained encoder.

Usage::

    python benchmarks/i2md_view_margin.py --store data/nwucla.zarr           # the nwucla-xview-cpu encoder
    python benchmarks/i2md_view_margin.py --store data/ntu60.zarr --preset ntu60-xsub --split xsub --json

InfoNCE can only start learning from what the two views of a sample share. For each view
recipe this draws two views of ``--samples`` training samples, embeds them with the
preset's untrained joint encoder (train mode, as in pre-training) and prints, for the
hidden embedding ``h`` and the 128-d embedding ``z``:

- pos: the mean cosine of a sample's two views;
- neg: the mean cosine of two different samples' views;
- rank: the mean number of other samples' second views that are closer to a sample's first
  view than its own second view is (0 means the views identify the sample; about half of
  ``--samples`` means they carry nothing of it).

With pos barely above neg the loss is lowest when every embedding sits at the mean, which is
where short pre-training runs end up (see the ``nwucla-xview-cpu`` preset of
``trainers/i2md.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actionkit.data import SkeletonDataset  # noqa: E402
from actionkit.data.views import CMDView  # noqa: E402
from actionkit.trainers import i2md  # noqa: E402
from actionkit.trainers.registry import resolve_config  # noqa: E402

#: name -> CMDView keyword arguments (besides the frames and the crop range).
RECIPES: dict[str, dict] = {
    "isc (the paper)": {},
    "shear only": {"shear_p": 1.0},
    "joint corruption only": {"shear_p": 0.0},
    "shear 0.5, corrupt 8 joints": {"amplitude": 0.5, "joints": 8},
    "temporal crop only": {"shear_p": 1.0, "amplitude": 0.0},
}


def margins(encoder: i2md.Encoder, dataset: SkeletonDataset, samples: int, seed: int) -> dict[str, dict[str, float]]:
    """pos / neg / rank of ``h`` and ``z`` over two views of ``samples`` samples."""
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:samples]
    pairs = [dataset[int(i)]["x"] for i in order]
    a = torch.stack([torch.as_tensor(p[0]) for p in pairs])
    b = torch.stack([torch.as_tensor(p[1]) for p in pairs])
    with torch.no_grad():
        (ha, za), (hb, zb) = encoder(a), encoder(b)
    out = {}
    for name, (u, v) in {"h": (ha, hb), "z": (za, zb)}.items():
        sims = F.normalize(u.float(), dim=1) @ F.normalize(v.float(), dim=1).t()
        n = len(sims)
        pos = sims.diag()
        out[name] = {
            "pos": float(pos.mean()),
            "neg": float((sims.sum() - pos.sum()) / (n * n - n)),
            "rank": float((sims > pos[:, None]).sum(1).float().mean()),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, help="A skeleton store (actionkit prepare ...).")
    parser.add_argument("--preset", default="nwucla-xview-cpu", help="The i2md preset whose encoder and frames to use.")
    parser.add_argument("--split", default=None, help="The protocol (default: the preset's).")
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    cfg = resolve_config("i2md", args.preset, [], args.store, args.split)
    torch.manual_seed(args.seed)
    model, _, _ = i2md.build(cfg)
    encoder = model.encoders["joint"].train()
    crop = (cfg.augment.crop_min, cfg.augment.crop_max)
    results = {}
    for name, kwargs in RECIPES.items():
        dataset = i2md.make_train_set(cfg, view=CMDView(cfg.data.frames, crop, **kwargs))
        results[name] = margins(encoder, dataset, args.samples, args.seed)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"untrained {cfg.model.backbone} joint encoder of {args.preset}, {args.samples} samples of {args.store}")
    print(f"{'views':30s} {'':2s} {'pos':>7s} {'neg':>7s} {'rank':>12s}")
    for name, by in results.items():
        for emb, r in by.items():
            print(f"{name:30s} {emb:2s} {r['pos']:7.3f} {r['neg']:7.3f} {r['rank']:6.1f}/{args.samples - 1}")


if __name__ == "__main__":
    main()
