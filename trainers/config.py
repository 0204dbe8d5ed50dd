"""Typed run configurations: dataclasses, paper presets, and ``--set a.b=c`` overrides.

A method's config is a dataclass whose fields are plain values or nested dataclasses.
Presets are named factories returning a complete config (no inheritance chains); the
command line picks one and overrides fields by dotted path with values parsed by the
field's declared type.
"""

from __future__ import annotations

import dataclasses
import json
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


__all__ = [
    "DataConfig", "OptimConfig", "RunConfig", "apply_overrides", "flat_keys", "from_dict", "parse_value",
    "save_config", "to_dict",
]
