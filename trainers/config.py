"""Typed run configurations: dataclasses, paper presets, and ``--set a.b=c`` overrides.

A method's config is a dataclass whose fields are plain values or nested dataclasses.
Presets are named factories returning a complete config (no inheritance chains); the
command line picks one and overrides fields by dotted path with values parsed by the
field's declared type.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule.

    Attributes:
        name: ``sgd`` or ``adam`` / ``adamw``.
        lr: Base learning rate (for ``batch_size`` of the data config).
        momentum: SGD momentum.
        nesterov: SGD Nesterov momentum.
        weight_decay: L2 penalty.
        schedule: ``step`` (x ``gamma`` at each of ``milestones``), ``cosine`` (to 0 at
            the last epoch), or ``constant``.
        milestones: Epochs at which ``step`` multiplies the rate by ``gamma``.
        gamma: Step factor.
        warmup_epochs: Linear warm-up from ``lr / (warmup_epochs + 1)`` over these epochs
            (per step, not per epoch).
    """

    name: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 1e-4
    schedule: str = "step"
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    warmup_epochs: int = 0


@dataclass
class DataConfig:
    """Which store, split and stream, and how batches are made.

    Attributes:
        store: Path of the store (default: ``$ACTIONKIT_DATA/<dataset>.zarr`` by preset).
        protocol: Split protocol (``xsub``, ``xview``, ...).
        train_part: Part to train on.
        test_part: Part to evaluate on.
        stream: ``joint``, ``motion`` or ``bone``.
        frames: Frames per sample after temporal resampling.
        batch_size: Samples per optimiser step over all processes.
        workers: DataLoader worker processes per training process.
        repeat: Passes over the training part per epoch (CTR-GCN's NW-UCLA ``repeat``).
    """

    store: str = ""
    protocol: str = "xsub"
    train_part: str = "train"
    test_part: str = "test"
    stream: str = "joint"
    frames: int = 64
    batch_size: int = 64
    workers: int = 2
    repeat: int = 1


@dataclass
class RunConfig:
    """What every run has: length, seed, devices, checkpoints, logging.

    Attributes:
        epochs: Training epochs.
        seed: Seed of weights, sampling and augmentation.
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
        amp: bf16 autocast on GPU.
        grad_accum: Micro-batches per optimiser step.
        eval_every: Evaluate every N epochs (and after the last).
        log_every: Steps between progress lines in ``metrics.jsonl``.
        max_steps: Stop after this many optimiser steps (0: no limit; for quick trials).
        tensorboard: Also log metrics.jsonl's scalars to ``RUN/tensorboard`` (needs ``tensorboard``).
        preset: The preset the config started from (recorded by ``resolve_config``; shown in the header).
    """

    epochs: int = 1
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    grad_accum: int = 1
    eval_every: int = 1
    log_every: int = 50
    max_steps: int = 0
    tensorboard: bool = False
    preset: str = ""


def _resolve(tp: Any) -> Any:
    """``Optional[X]`` / ``X | None`` -> X."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def parse_value(text: str, tp: Any, key: str) -> Any:
    """Parse ``text`` as a value of type ``tp`` (bool, int, float, str, tuple of those)."""
    tp = _resolve(tp)
    try:
        if tp is bool:
            low = text.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return low in ("true", "1", "yes")
        if tp in (int, float, str):
            return tp(text)
        if typing.get_origin(tp) is tuple:
            inner = typing.get_args(tp)[0]
            parts = [p for p in text.replace("(", "").replace(")", "").split(",") if p.strip()]
            return tuple(parse_value(p.strip(), inner, key) for p in parts)
    except ValueError:
        raise ValueError(f"--set {key}={text}: not a valid {getattr(tp, '__name__', tp)}") from None
    raise ValueError(f"--set {key}: fields of type {tp} cannot be set from the command line")


def apply_overrides(cfg: T, overrides: list[str]) -> T:
    """Return a copy of ``cfg`` with ``key.path=value`` overrides applied.

    Raises:
        ValueError: malformed override, unknown key (the message lists valid keys), or
            a value that does not parse as the field's type.
    """
    cfg = dataclasses.replace(cfg)
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected key=value, e.g. optim.lr=0.05")
        key, text = item.split("=", 1)
        target = cfg
        parts = key.strip().split(".")
        for name in parts[:-1]:
            if not dataclasses.is_dataclass(target) or not hasattr(target, name):
                raise ValueError(f"--set {key}: unknown key; valid keys: {', '.join(flat_keys(cfg))}")
            child = dataclasses.replace(getattr(target, name))
            setattr(target, name, child)
            target = child
        leaf = parts[-1]
        hints = typing.get_type_hints(type(target))
        if leaf not in hints or dataclasses.is_dataclass(getattr(target, leaf, None)):
            raise ValueError(f"--set {key}: unknown key; valid keys: {', '.join(flat_keys(cfg))}")
        setattr(target, leaf, parse_value(text, hints[leaf], key))
    return cfg


def flat_keys(cfg: Any, prefix: str = "") -> list[str]:
    """Every settable dotted key of a config."""
    keys = []
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            keys += flat_keys(value, f"{prefix}{f.name}.")
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


def to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-able dict of a config (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(cfg)))


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a config dataclass from :func:`to_dict` output."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        tp = _resolve(hints[f.name])
        value = data[f.name]
        if dataclasses.is_dataclass(tp):
            value = from_dict(tp, value)
        elif typing.get_origin(tp) is tuple:
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


def save_config(cfg: Any, path: Path) -> None:
    Path(path).write_text(json.dumps(to_dict(cfg), indent=2) + "\n")


def _check_keys(cls: type, data: Any, source: str, prefix: str = "") -> None:
    """Fail on keys ``cls`` does not have and on values of the wrong kind (a saved file's typos)."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: {prefix.rstrip('.') or 'the file'} must be a JSON object of settings")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in names:
            raise ValueError(f"{source}: unknown setting {prefix + key!r}; valid keys: "
                             f"{', '.join(flat_keys(cls()))}")  # fmt: skip
        tp = _resolve(hints[key])
        if dataclasses.is_dataclass(tp):
            _check_keys(tp, value, source, f"{prefix}{key}.")
            continue
        if value is None and tp is not hints[key]:  # Optional[X]: None is a value
            continue
        want = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}.get(tp)
        if typing.get_origin(tp) is tuple:
            want = (list, tuple)
        bad = want is not None and (not isinstance(value, want) or (tp is not bool and isinstance(value, bool)))
        if bad:
            raise ValueError(f"{source}: setting {prefix + key!r} is {value!r}; expected "
                             f"{type_name(hints[key])}")  # fmt: skip


def load_config(cls: type[T], path: Path) -> T:
    """Read a config written by :func:`save_config` (a run's ``config.json``), checking its keys.

    Keys the file lacks keep the dataclass defaults; unknown keys and values of the wrong
    type are errors (a typo must not silently fall back to a default).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON, or a key or value that ``cls`` does not accept.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file (write one with `actionkit config METHOD --out "
                                f"{path}`, or use a run's config.json)")  # fmt: skip
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a JSON config ({exc})") from None
    _check_keys(cls, data, str(path))
    return from_dict(cls, data)


def type_name(tp: Any) -> str:
    """How a field's type reads in help: ``int``, ``float``, ``str``, ``bool``, ``str,...`` (a tuple)."""
    tp = _resolve(tp)
    if typing.get_origin(tp) is tuple:
        return f"{type_name(typing.get_args(tp)[0])},..."
    return getattr(tp, "__name__", str(tp))


def attribute_docs(cls: type) -> dict[str, str]:
    """Field name -> its text in the ``Attributes:`` section of ``cls``'s docstring (whitespace joined)."""
    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    docs: dict[str, str] = {}
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Attributes:")
    except StopIteration:
        return docs
    indent, names = None, []
    for line in lines[start + 1:]:
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:  # the section ended (a following paragraph or section)
            break
        indent = depth if indent is None else indent
        # "name: text", or "a / b / c: text" (one text for several fields)
        entry = re.match(r"(\w+(?:\s*/\s*\w+)*)(?: \([^)]*\))?:\s*(.*)", line.strip())
        if depth == indent and entry:
            names = [n.strip() for n in entry.group(1).split("/")]
            for name in names:
                docs[name] = entry.group(2)
        elif names:
            for name in names:
                docs[name] += " " + line.strip()
    return docs


def one_line(text: str) -> str:
    """The first sentence of a docstring entry, without reST markup and the final full stop."""
    text = text.replace("``", "").strip()
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        # a full stop ends the sentence when a capital letter starts the next one ("eq. 7" does not)
        if ch == "." and depth == 0 and text[i + 1:i + 3].strip() and re.match(r"\s[A-Z]", text[i + 1:i + 3]):
            return text[:i]
    return text.rstrip(".")


@dataclass(frozen=True)
class Setting:
    """One ``--set`` key of a config, for help tables.

    Attributes:
        key: The dotted key, e.g. ``optim.lr``.
        type: Its type as it reads in help (:func:`type_name`).
        value: Its value in the config described (a preset's value).
        meaning: One line from the config dataclass's docstring; empty when it has none.
    """

    key: str
    type: str
    value: Any
    meaning: str


def describe(cfg: Any, prefix: str = "") -> list[Setting]:
    """Every settable key of a config with its type, value and meaning (from the ``Attributes:`` docs)."""
    out: list[Setting] = []
    hints = typing.get_type_hints(type(cfg))
    docs = attribute_docs(type(cfg))
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            out += describe(value, f"{prefix}{f.name}.")
        else:
            out.append(Setting(prefix + f.name, type_name(hints[f.name]), value, one_line(docs.get(f.name, ""))))
    return out


def format_value(value: Any) -> str:
    """A setting's value as ``--set`` accepts it (tuples comma-separated, bools lower case)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(format_value(v) for v in value)
    return str(value)


__all__ = [
    "DataConfig", "OptimConfig", "RunConfig", "Setting", "apply_overrides", "attribute_docs", "describe",
    "flat_keys", "format_value", "from_dict", "load_config", "one_line", "parse_value", "save_config", "to_dict",
    "type_name",
]
