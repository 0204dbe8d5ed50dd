"""Method name -> (config class, presets, builder): what ``actionkit train METHOD`` can run."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionkit.data import collate
from actionkit.trainers import asma, asma_distill, cmpl, dmcl, i2md, mml, supervised
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import apply_overrides, from_dict
from actionkit.trainers.distributed import setup, teardown
from actionkit.trainers.engine import Trainer
from actionkit.trainers.method import EncoderRecipe


@dataclass(frozen=True)
class MethodEntry:
    """A trainable method.

    Attributes:
        config: Its config dataclass.
        presets: Preset name -> config factory.
        default_preset: The preset used without ``--preset``.
        build: Config -> (method, train set, eval set).
        variants: ``--variant`` name -> config transformation applied after the preset.
        encoder_recipe: ``(run config dict, modality or None) -> EncoderRecipe``: how
            ``actionkit eval`` rebuilds and feeds the run's encoder.
        test_set: ``(config, modalities or None) -> dataset``: the multi-view test set of a
            video method (``actionkit eval test``).
        pipeline: ``(config, run folder) -> summary``: runs several stages when the config
            asks for it (``pipeline`` true; MML's three stages).
    """

    config: type
    presets: dict[str, Callable[[], Any]]
    default_preset: str
    build: Callable[[Any], tuple[Any, Any, Any]]
    variants: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    encoder_recipe: Callable[[dict[str, Any], str | None], EncoderRecipe] | None = None
    test_set: Callable[[Any, tuple[str, ...] | None], Any] | None = None
    pipeline: Callable[[Any, Path], dict[str, Any]] | None = None


METHODS: dict[str, MethodEntry] = {
    "supervised": MethodEntry(supervised.SupervisedConfig, supervised.PRESETS, "nwucla-xview-cpu", supervised.build,
                              encoder_recipe=supervised.encoder_recipe),  # fmt: skip
    "i2md": MethodEntry(i2md.I2MDConfig, i2md.PRESETS, "nwucla-xview-cpu", i2md.build, i2md.VARIANTS,
                        i2md.encoder_recipe),  # fmt: skip
    "asma": MethodEntry(asma.ASMaConfig, asma.PRESETS, "nwucla-xview-cpu", asma.build, asma.VARIANTS,
                        asma.encoder_recipe),  # fmt: skip
    "asma-distill": MethodEntry(asma_distill.DistillConfig, asma_distill.PRESETS, "nwucla-xview-cpu",
                                asma_distill.build),  # fmt: skip
    "dmcl": MethodEntry(dmcl.DMCLConfig, dmcl.PRESETS, "nwucla-xview", dmcl.build, dmcl.VARIANTS,
                        test_set=dmcl.make_test_set),
    "mml": MethodEntry(mml.MMLConfig, mml.PRESETS, "ucf101-split1", mml.build, mml.VARIANTS,
                       test_set=mml.make_test_set, pipeline=mml.run_pipeline),
    "cmpl": MethodEntry(cmpl.CMPLConfig, cmpl.PRESETS, "ucf101-10pct", cmpl.build, cmpl.VARIANTS,
                        test_set=cmpl.make_test_set),
}


def get_method(name: str) -> MethodEntry:
    try:
        return METHODS[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}; methods: {', '.join(METHODS)}") from None


def resolve_config(
    method: str,
    preset: str | None,
    overrides: list[str],
    store: str | None,
    split: str | None = None,
    backbone: str | None = None,
    variant: str | None = None,
    modalities: str | None = None,
) -> Any:
    """A method's config: its preset, then ``--store``/``--split``/``--backbone``, then ``--set``.

    ``store``, ``split`` and ``backbone`` are shorthands for the overrides
    ``data.store``, ``data.protocol`` and ``model.backbone``, ``modalities`` for the
    method's ``modalities`` field (comma-separated); ``variant`` names one of the
    method's variants (e.g. i2md's ``cmd``), applied right after the preset.
    """
    entry = get_method(method)
    name = preset or entry.default_preset
    if name not in entry.presets:
        raise KeyError(f"unknown preset {name!r} for {method}; presets: {', '.join(entry.presets)}")
    cfg = entry.presets[name]()
    if hasattr(getattr(cfg, "run", None), "preset"):
        cfg.run.preset = name
    if variant is not None:
        if variant not in entry.variants:
            have = ", ".join(entry.variants) or "none"
            raise KeyError(f"unknown variant {variant!r} for {method}; variants: {have}")
        cfg = entry.variants[variant](cfg)
    shorthands = {"data.store": store, "data.protocol": split, "model.backbone": backbone}
    if modalities:  # the methods keep them in data (DMCL: one network per modality) or model (MML)
        where = "model" if hasattr(getattr(cfg, "model", None), "modalities") else "data"
        shorthands[f"{where}.modalities"] = modalities
    overrides = [f"{key}={value}" for key, value in shorthands.items() if value] + list(overrides)
    return apply_overrides(cfg, overrides)


def train(method: str, cfg: Any, out: Path | None = None, resume: Path | None = None) -> dict[str, Any]:
    """Run a method to the end (or to a SIGTERM) and return its summary.

    With ``resume``, the run folder's own config is used (overrides given now are
    ignored, so that the continuation is exact) and the run continues in that folder
    to its last epoch (a ``run.max_steps`` budget of the stopped invocation is dropped).
    """
    entry = get_method(method)
    if resume is not None:
        ckpt = load_checkpoint(resume)
        cfg = from_dict(entry.config, ckpt["config"])
        cfg.run.max_steps = 0  # a step budget stops one invocation; the continuation runs to run.epochs
        out = Path(resume) if Path(resume).is_dir() else Path(resume).parent.parent
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / method / stamp
    if entry.pipeline is not None and getattr(cfg, "pipeline", False):
        return entry.pipeline(cfg, Path(out))
    ctx = setup(cfg.run.device)
    try:
        model, train_set, eval_set = entry.build(cfg)
        trainer = Trainer(model, train_set, eval_set, cfg, out, ctx, resume=resume, collate_fn=collate)
        summary = trainer.fit()
    except BaseException:
        teardown(finished=False)
        raise
    teardown()
    summary["run"] = str(out)
    return summary
