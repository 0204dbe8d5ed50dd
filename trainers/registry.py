"""Method name -> (config class, presets, builder): what ``actionkit train METHOD`` can run."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actionkit.data import collate
from actionkit.trainers import asma, asma_distill, cmpl, dmcl, i2md, mml, supervised
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import apply_overrides, from_dict, load_config
from actionkit.trainers.distributed import setup, teardown
from actionkit.trainers.engine import Trainer
from actionkit.trainers.method import EncoderRecipe


@dataclass(frozen=True)
class MethodOption:
    """A command-line option of a method: a shorthand for one ``--set`` key (or for ``--variant``).

    ``actionkit train METHOD`` shows a method's own options only; their help is the key's
    meaning from the config's docstring unless ``help`` is given.

    Attributes:
        flag: The option as typed, e.g. ``--no-imd`` or ``--labeled``.
        key: The ``--set`` key it sets (``model.imd``); empty: it picks the method's variant.
        value: For an on/off flag, the value it sets when given (``--no-imd``: ``False``);
            None: the option takes a value, parsed as the key's type.
        choices: The valid values, checked and listed in ``--help``.
        help: Its help; empty: taken from the key's docstring.
        metavar: What its value is, in help (empty: the key's type).
    """

    flag: str
    key: str = ""
    value: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    metavar: str = ""


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
        pipeline: ``(config, run folder, train) -> summary``: runs several stages, each with
            this module's :func:`train`, when the config asks for it (``pipeline`` true;
            MML's three stages).
        summary: One line on what the method is (``actionkit train --help``).
        options: The method's own command-line options (beside ``--store``, ``--split``,
            ``--backbone``, ``--preset``, ``--variant``, ``--set``, which every method has).
        cpu_minutes: Preset -> (low, high) wall-clock minutes of one whole run measured on
            a 2-core CPU, where measured (shown with the presets in ``--help``).
    """

    config: type
    presets: dict[str, Callable[[], Any]]
    default_preset: str
    build: Callable[[Any], tuple[Any, Any, Any]]
    variants: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    encoder_recipe: Callable[[dict[str, Any], str | None], EncoderRecipe] | None = None
    test_set: Callable[[Any, tuple[str, ...] | None], Any] | None = None
    pipeline: Callable[[Any, Path, Callable[..., dict[str, Any]]], dict[str, Any]] | None = None
    summary: str = ""
    options: tuple[MethodOption, ...] = ()
    cpu_minutes: dict[str, tuple[float, float]] = field(default_factory=dict)


#: Shorthands every method has where its config has the key.
COMMON_OPTIONS: tuple[MethodOption, ...] = (
    MethodOption("--store", "data.store", help="The store to train on (default: the preset's).", metavar="STORE"),
    MethodOption("--split", "data.protocol", help="The split protocol, e.g. xview, xsub."),
    MethodOption("--backbone", "model.backbone"),
)

_MODALITIES = MethodOption("--modalities", "model.modalities")

METHODS: dict[str, MethodEntry] = {
    "supervised": MethodEntry(
        supervised.SupervisedConfig, supervised.PRESETS, "nwucla-xview-cpu", supervised.build,
        encoder_recipe=supervised.encoder_recipe,
        summary="Cross-entropy training of a skeleton backbone (CTR-GCN's recipe).",
        cpu_minutes={"nwucla-xview-cpu": (47, 47)},  # supervised.py's preset comment (uncontended)
    ),
    "i2md": MethodEntry(
        i2md.I2MDConfig, i2md.PRESETS, "nwucla-xview-cpu", i2md.build, i2md.VARIANTS, i2md.encoder_recipe,
        summary="I2MD / CMD: self-supervised cross- and intra-modal mutual distillation (skeletons).",
        options=(MethodOption("--no-imd", "model.imd", False, help="Ablation: no intra-modal distillation."),
                 MethodOption("--no-cmd", "model.cmd", False, help="Ablation: no cross-modal distillation."),
                 _MODALITIES, MethodOption("--init", "model.init", metavar="RUN")),
        cpu_minutes={"nwucla-xview-cpu": (21, 37)},  # i2md._nwucla_cpu's docstring
    ),
    "asma": MethodEntry(
        asma.ASMaConfig, asma.PRESETS, "nwucla-xview-cpu", asma.build, asma.VARIANTS, asma.encoder_recipe,
        summary="ASMa: self-supervised asymmetric masking with two skeleton encoders.",
        cpu_minutes={"nwucla-xview-cpu": (55, 62)},  # asma._nwucla_cpu's docstring
    ),
    "asma-distill": MethodEntry(
        asma_distill.DistillConfig, asma_distill.PRESETS, "nwucla-xview-cpu", asma_distill.build,
        summary="ASMa-Distill: a small student from an ASMa run's aligned encoders.",
        options=(MethodOption("--teacher", "teacher.run", metavar="RUN"), MethodOption("--tau", "model.tau")),
    ),
    "dmcl": MethodEntry(
        dmcl.DMCLConfig, dmcl.PRESETS, "nwucla-xview", dmcl.build, dmcl.VARIANTS, test_set=dmcl.make_test_set,
        summary="DMCL: one video network per modality (RGB, depth, flow), the best teaching the others.",
        options=(MethodOption("--strategy", "loss.strategy", choices=dmcl.STRATEGIES),
                 MethodOption("--modalities", "data.modalities")),
    ),
    "mml": MethodEntry(
        mml.MMLConfig, mml.PRESETS, "ucf101-split1", mml.build, mml.VARIANTS, test_set=mml.make_test_set,
        pipeline=mml.run_pipeline,
        summary="MML: video models of several modalities learning from each other (RGB, flow, RGB difference).",
        options=(MethodOption("--stage", choices=mml.STAGES, help="The stage (Fig. 1): ce, ml or mml."),
                 _MODALITIES, MethodOption("--modality", "model.modalities", metavar="MODALITY",
                                           help="The one model's modality (stage ce)."),
                 MethodOption("--init", "model.init", metavar="WEIGHTS[,WEIGHTS...]"),
                 MethodOption("--pipeline", "pipeline", True)),
    ),
    "cmpl": MethodEntry(
        cmpl.CMPLConfig, cmpl.PRESETS, "ucf101-10pct", cmpl.build, cmpl.VARIANTS, test_set=cmpl.make_test_set,
        summary="CMPL: semi-supervised video learning, a big and a small network pseudo-labelling each other.",
        options=(MethodOption("--labeled", "data.labeled"), MethodOption("--subset-seed", "data.subset_seed"),
                 MethodOption("--scheme", "loss.scheme", choices=cmpl.ALL_SCHEMES),
                 MethodOption("--aux", "model.aux", help="The auxiliary network A, e.g. resnet3d18 (--set model.aux)."),
                 MethodOption("--aux-width", "model.aux_width",
                              help="The auxiliary's width, e.g. 0.25 (--set model.aux_width).")),
    ),
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
    *,
    config: Path | None = None,
) -> Any:
    """A method's config: its preset (or a saved config), its variant, the shorthands, then ``--set``.

    ``store``, ``split`` and ``backbone`` are shorthands for the overrides
    ``data.store``, ``data.protocol`` and ``model.backbone``, ``modalities`` for the
    method's ``modalities`` field (comma-separated); ``variant`` names one of the
    method's variants (e.g. i2md's ``cmd``), applied right after the preset. ``config``
    is a saved config (``actionkit config METHOD --out FILE``, or a run's
    ``config.json``) to start from instead of a preset. The store is made an absolute
    path, so that the run's recorded config works from any folder.

    Raises:
        KeyError: unknown method, preset or variant (the message lists the valid ones).
        ValueError: both a preset and a config, or a bad override or config file.
        FileNotFoundError: no such config file.
    """
    entry = get_method(method)
    if config is not None:
        if preset is not None:
            raise ValueError("give --preset or --config, not both (a saved config already holds a preset's "
                             "settings)")  # fmt: skip
        cfg = load_config(entry.config, Path(config))
    else:
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
    cfg = apply_overrides(cfg, overrides)
    if getattr(cfg.data, "store", ""):
        cfg.data.store = os.path.abspath(os.path.expanduser(cfg.data.store))
    return cfg


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
        return entry.pipeline(cfg, Path(out), train)
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
