"""``actionkit train METHOD``: run a method with its paper settings (presets), overridable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from actionkit.cli.display import console, fail


def train_command(
    method: Annotated[str, typer.Argument(help="The method, e.g. supervised.")],
    store: Annotated[Optional[str], typer.Option(help="The store to train on (default: the preset's).")] = None,
    split: Annotated[Optional[str], typer.Option(help="The split protocol, e.g. xview, xsub.")] = None,
    backbone: Annotated[Optional[str], typer.Option(help="The skeleton backbone, e.g. stgcn, gru.")] = None,
    variant: Annotated[Optional[str], typer.Option(help="A variant of the method, e.g. i2md's cmd or moco.")] = None,
    no_imd: Annotated[bool, typer.Option("--no-imd", help="I2MD ablation: no intra-modal distillation.")] = False,
    no_cmd: Annotated[bool, typer.Option("--no-cmd", help="I2MD ablation: no cross-modal distillation.")] = False,
    teacher: Annotated[Optional[Path], typer.Option(help="asma-distill: the ASMa run to distil.")] = None,
    tau: Annotated[Optional[float], typer.Option(help="asma-distill: the temperature.")] = None,
    strategy: Annotated[Optional[str], typer.Option(
        help="dmcl: dmcl, independent, smcl, cmcl or random-teacher (Tables 1-2).")] = None,
    modalities: Annotated[Optional[str], typer.Option(
        help="Video methods: the modalities, comma-separated, e.g. rgb,depth,flow; mml: one per model.")] = None,
    modality: Annotated[Optional[str], typer.Option(help="mml: the one model's modality (stage ce).")] = None,
    stage: Annotated[Optional[str], typer.Option(help="mml: ce, ml or mml (Fig. 1).")] = None,
    init: Annotated[Optional[str], typer.Option(
        help="mml: initial weights: local files or run folders, one per model (comma-separated) or one for all.",
    )] = None,
    pipeline: Annotated[bool, typer.Option("--pipeline", help="mml: run all three stages (Fig. 3).")] = False,
    labeled: Annotated[Optional[float], typer.Option(help="cmpl: labelled fraction, 0.01 or 0.1.")] = None,
    subset_seed: Annotated[Optional[int], typer.Option(help="cmpl: seed of the labelled subset.")] = None,
    scheme: Annotated[Optional[str], typer.Option(
        help="cmpl: cross, fixmatch, self-first, opposite-first, maximum, average, supervised.")] = None,
    aux: Annotated[Optional[str], typer.Option(help="cmpl: the auxiliary network, e.g. resnet3d18.")] = None,
    aux_width: Annotated[Optional[float], typer.Option(help="cmpl: the auxiliary's width, e.g. 0.25.")] = None,
    preset: Annotated[Optional[str], typer.Option(help="Named settings, e.g. nwucla-xview, ntu60-xsub.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a setting: key.path=value.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="The run folder (default: runs/METHOD/<time>).")] = None,
    resume: Annotated[Optional[Path], typer.Option(help="Continue a run folder exactly where it stopped.")] = None,
) -> None:
    """Train METHOD; writes config.json, metrics.jsonl, checkpoints/ and summary.json to the run folder."""
    from actionkit.store.errors import StoreError
    from actionkit.trainers.registry import resolve_config, train

    try:
        flags = [name for name, on in (("model.imd=false", no_imd), ("model.cmd=false", no_cmd)) if on]
        flags += [f"teacher.run={teacher}"] if teacher is not None else []
        flags += [f"model.tau={tau}"] if tau is not None else []
        flags += [f"loss.strategy={strategy}"] if strategy is not None else []
        flags += [f"model.init={init}"] if init is not None else []
        flags += ["pipeline=true"] if pipeline else []
        named = {"data.labeled": labeled, "data.subset_seed": subset_seed, "loss.scheme": scheme, "model.aux": aux,
                 "model.aux_width": aux_width}
        flags += [f"{key}={value}" for key, value in named.items() if value is not None]
        if stage is not None and variant is not None:
            raise ValueError("give --stage or --variant, not both")
        cfg = resolve_config(method, preset, flags + list(set_ or []), store, split, backbone, stage or variant,
                             modalities or modality)
        summary = train(method, cfg, out=out, resume=resume)
    except (KeyError, ValueError, FileNotFoundError, StoreError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun only rank 0 speaks
        console.print_json(data={k: v for k, v in summary.items() if k != "per_class"})  # per_class: summary.json
