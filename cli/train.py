"""``actionkit train METHOD`` and ``actionkit config METHOD``: one subcommand per method of the registry.

Each method's command is generated from its registry entry (``actionkit.trainers.registry``):
its presets as choices, its variants, its own options (shorthands for ``--set`` keys) and a
help table of every ``--set`` key with its type, its value in the default preset and its
meaning, read from the config dataclasses' ``Attributes:`` docstrings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, Optional

import typer

from actionkit.cli.commands import LazyGroup, Section, build_command, new_app, option
from actionkit.cli.display import console, fail


def _method_names() -> list[str]:
    from actionkit.trainers.registry import METHODS

    return list(METHODS)


train_app = new_app(
    "Train a method; `actionkit train METHOD --help` lists its options, presets and settings.", noun="method",
    cls=LazyGroup, attrs={"names": _method_names, "make": lambda name: _make(name, for_config=False)})
config_app = new_app(
    "Print (or write) a method's resolved settings, a file that `actionkit train METHOD --config` starts from.",
    noun="method", cls=LazyGroup, attrs={"names": _method_names, "make": lambda name: _make(name, for_config=True)})


def _choices(names: Any) -> Any:
    return Literal[tuple(names)]  # type: ignore[valid-type]


def _options(method: str) -> list[Any]:
    """The method's shorthand options (the common ones its config has, then its own)."""
    from actionkit.trainers.config import flat_keys
    from actionkit.trainers.registry import COMMON_OPTIONS, get_method

    entry = get_method(method)
    keys = set(flat_keys(entry.presets[entry.default_preset]()))
    return [o for o in (*COMMON_OPTIONS, *entry.options) if not o.key or o.key in keys]


def _param(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _params(method: str, *, for_config: bool) -> dict[str, tuple[Any, Any]]:
    """Name -> (annotation, default) of a method's command."""
    from actionkit.trainers.config import describe
    from actionkit.trainers.registry import get_method

    entry = get_method(method)
    settings = {s.key: s for s in describe(entry.presets[entry.default_preset]())}
    params: dict[str, tuple[Any, Any]] = {
        "preset": option("--preset", Optional[_choices(entry.presets)], None,
                         f"Named settings (default: {entry.default_preset}); see Presets below."),
        "config": option("--config", Optional[Path], None,
                         "Start from a saved config instead of a preset: a run's config.json, or a file written "
                         f"by `actionkit config {method} --out FILE`.", metavar="FILE"),
    }
    if entry.variants:
        params["variant"] = option("--variant", Optional[_choices(entry.variants)], None,
                                   "A variant of the method, applied after the preset.")
    for spec in _options(method):
        setting = settings.get(spec.key)
        if spec.value is not None:  # an on/off flag
            text = f"{(spec.help or setting.meaning).rstrip('.')} (--set {spec.key}={str(spec.value).lower()})."
            params[_param(spec.flag)] = option(spec.flag, bool, False, text)
            continue
        if spec.choices or not spec.key:
            tp: Any = _choices(spec.choices or entry.variants)
            metavar = None
        else:  # the key's own type; tuples are typed as --set takes them, comma-separated
            tp = {"int": int, "float": float}.get(setting.type, str)
            metavar = spec.metavar or setting.type.upper()
        text = spec.help or (f"{setting.meaning} (--set {spec.key})." if spec.key else "")
        params[_param(spec.flag)] = option(spec.flag, Optional[tp], None, text, metavar=metavar)
    params["set_"] = option("--set", Optional[list[str]], None,
                            "Override a setting, KEY=VALUE (repeatable); the keys are listed under Settings below.",
                            metavar="KEY=VALUE")
    if for_config:
        params["out"] = option("--out", Optional[Path], None, "Write the settings to this JSON file too.",
                               metavar="FILE")
    else:
        params["out"] = option("--out", Optional[Path], None, f"The run folder (default: runs/{method}/<time>).",
                               metavar="FOLDER")
        params["resume"] = option("--resume", Optional[Path], None,
                                  "Continue a run folder exactly where it stopped (its own config).", metavar="RUN")
    return params


def _sections(method: str) -> list[Section]:
    """The Presets, Variants and Settings sections of a method's help."""
    from actionkit.trainers.config import describe, format_value
    from actionkit.trainers.registry import get_method

    entry = get_method(method)
    presets = []
    for name, factory in entry.presets.items():
        epochs = factory().run.epochs
        text = f"{epochs} epochs"
        if name in entry.cpu_minutes:
            low, high = entry.cpu_minutes[name]
            span = f"{low:g}" if low == high else f"{low:g}-{high:g}"
            per = f"{60 * low / epochs:.0f}" if low == high else f"{60 * low / epochs:.0f}-{60 * high / epochs:.0f}"
            text += f"; measured {span} min per run on a 2-core CPU ({per} s per epoch)"
        presets.append((name, text + (" (default)" if name == entry.default_preset else "")))
    rows = []
    for s in describe(entry.presets[entry.default_preset]()):
        shown = format_value(s.value) or '""'
        rows.append((s.key, f"{s.meaning}. [{s.type}; {shown}]"))
    variants = [(name, _first_line(fn)) for name, fn in entry.variants.items()]
    out: list[Section] = [("Presets", presets)]
    if variants:
        out.append(("Variants (--variant)", variants))
    out.append((f"Settings (--set KEY=VALUE; type, value in {entry.default_preset})", rows))
    return out


def _first_line(fn: Any) -> str:
    """The first line of a variant function's docstring (empty for a lambda or a closure without one)."""
    doc = (fn.__doc__ or "").strip() if fn.__name__ != "<lambda>" else ""
    return doc.splitlines()[0].rstrip(".") if doc else ""


def _overrides(method: str, values: dict[str, Any]) -> tuple[list[str], str | None]:
    """The ``--set`` items and the variant that a command's option values stand for."""
    from actionkit.trainers.config import format_value

    sets, variant, named = [], values.get("variant"), "--variant" if values.get("variant") else ""
    for spec in _options(method):
        given = values.get(_param(spec.flag))
        if given is None or given is False:
            continue
        if not spec.key:
            if variant is not None and variant != given:
                raise ValueError(f"give {named} or {spec.flag}, not both")
            variant, named = given, spec.flag
        else:
            sets.append(f"{spec.key}={format_value(spec.value if spec.value is not None else given)}")
    return sets + list(values.get("set_") or []), variant


def _resolve(method: str, values: dict[str, Any]) -> Any:
    from actionkit.trainers.registry import resolve_config

    sets, variant = _overrides(method, values)
    return resolve_config(method, values.get("preset"), sets, None, variant=variant, config=values.get("config"))


def _missing_store(store: str) -> str | None:
    """Why a store cannot be trained on and how to make it; None when it exists."""
    if not store or Path(store).exists():
        return None
    from actionkit.sources.registry import DATASETS, data_root, default_store

    path = Path(store).resolve()
    if path == (data_root() / "demo.zarr").resolve():
        return f"{store}: no such store; `actionkit demo` makes it, or pass --store PATH"
    dataset = next((d for d in DATASETS if Path(default_store(d)).resolve() == path), None)
    how = (f"build it with `actionkit prepare {dataset} --raw DOWNLOAD --out {store}` (DOWNLOAD: the raw "
           f"download; `actionkit prepare --help` says what to pass)" if dataset else
           "build it with `actionkit prepare DATASET --raw DOWNLOAD --out " + store + "`")
    return f"{store}: no such store; {how}, or pass --store PATH to train on another store"


def _train(method: str, **values: Any) -> None:
    from actionkit.store.errors import StoreError
    from actionkit.trainers.engine import DivergedError
    from actionkit.trainers.registry import train

    cfg = None
    try:
        cfg = _resolve(method, values)
        summary = train(method, cfg, out=values.get("out"), resume=values.get("resume"))
    except (KeyError, ValueError, FileNotFoundError, StoreError, DivergedError) as exc:
        # a store that is not there: say how to build it (the run's own store only, not a resumed one's)
        missing = _missing_store(cfg.data.store) if cfg is not None and not values.get("resume") else None
        fail(missing or (str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)))
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun only rank 0 speaks; per_class is in summary.json
        console.print_json(data={k: v for k, v in summary.items() if k != "per_class"})
    if summary.get("signal"):  # stopped by SIGTERM/SIGINT, checkpoint written: the shell's convention
        raise typer.Exit(128 + int(summary["signal"]))


def _config(method: str, **values: Any) -> None:
    from actionkit.trainers.config import to_dict

    try:
        cfg = _resolve(method, values)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    text = json.dumps(to_dict(cfg), indent=2) + "\n"
    out = values.get("out")
    if out is not None:
        try:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_text(text)
        except OSError as exc:
            fail(f"{out}: cannot write the config ({exc.strerror or exc})")
    typer.echo(text, nl=False)
    if out is not None:
        typer.echo(f"written to {out}; `actionkit train {method} --config {out}` starts a run from it", err=True)


def _make(method: str, *, for_config: bool) -> Any:
    from actionkit.trainers.registry import get_method

    entry = get_method(method)
    if for_config:
        doc = (f"Print the resolved settings of {method} as JSON (the preset, variant, options and --set "
               f"applied); --out writes them to a file that `actionkit train {method} --config` reads.")
        return build_command(method, lambda **v: _config(method, **v), _params(method, for_config=True),
                             help=doc, short_help=f"The settings of {method}.", sections=lambda: _sections(method))
    doc = (f"{entry.summary}\n\nWrites config.json (the resolved settings, reusable with --config), "
           "metrics.jsonl, checkpoints/ and summary.json to the run folder.")
    return build_command(method, lambda **v: _train(method, **v), _params(method, for_config=False),
                         help=doc, short_help=entry.summary, sections=lambda: _sections(method))


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train", short_help="Train a method (one subcommand per method).")
    app.add_typer(config_app, name="config", short_help="A method's resolved settings, as JSON.")
