"""Loading backbone weights from local checkpoint files (never from the network).

Accepted files (anything :func:`torch.load` reads with ``weights_only=True``):

- a plain state dict ``{name: tensor}``;
- a dict holding it under ``"model"``, ``"state_dict"`` or ``"encoder"`` (the first
  present, searched recursively, so ``{"model": {"state_dict": ...}}`` works too).

Keys saved from ``DistributedDataParallel`` (every key starting with ``module.``) are
unwrapped. ``prefix="encoder_q."`` keeps only the keys under that prefix and strips it,
e.g. to take the query encoder out of a MoCo checkpoint.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

__all__ = ["LoadResult", "UnsafeFileError", "load_tensors", "load_weights", "extract_state_dict"]


class UnsafeFileError(ValueError):
    """A torch file that needs more than tensors and plain containers to load (it could run code)."""


def load_tensors(file: Path) -> object:
    """``torch.load`` with ``weights_only=True``: tensors and plain containers only, never code.

    Raises:
        UnsafeFileError: the file needs other objects to load (a pickle that could run
            arbitrary code); the message names the file and what to do.
        ValueError: not a torch file at all (truncated, another format).
    """
    import pickle

    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        lines = str(err).strip().splitlines()
        why = next((line.strip() for line in lines if "GLOBAL" in line), None)
        if why is None:  # garbage, not a blocked object
            raise ValueError(f"{file}: not a readable torch checkpoint ({lines[0] if lines else err}); "
                             f"use another copy") from None
        raise UnsafeFileError(
            f"{file}: refused: loading it needs objects other than tensors and plain containers ({why}), and "
            f"unpickling them could run code. actionkit loads only weights_only files; if you trust the file, "
            f"convert it to a plain state dict (torch.save(model.state_dict(), ...)) and pass that") from None
    except Exception as err:  # zip and stream errors of all kinds: a damaged or foreign file
        raise ValueError(f"{file}: not a readable torch checkpoint ({str(err).splitlines()[0] if str(err) else err}); "
                         f"it may be truncated: use another copy") from None


_CONTAINER_KEYS = ("model", "state_dict", "encoder")
_SHOW = 5


@dataclass
class LoadResult:
    """What :func:`load_weights` did.

    Attributes:
        loaded: Keys copied into the model.
        missing: Model keys the checkpoint lacks (left as they were).
        unexpected: Checkpoint keys the model lacks (ignored).
    """

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def extract_state_dict(obj: object, prefix: str | None = None) -> dict[str, torch.Tensor]:
    """Finds the state dict in a loaded checkpoint object.

    Args:
        obj: What ``torch.load`` returned.
        prefix: Keep only keys starting with it, with it removed.

    Returns:
        ``{name: tensor}``.

    Raises:
        ValueError: If no state dict is found, or no key has the prefix.
    """
    state = obj
    while isinstance(state, Mapping) and not _is_state_dict(state):
        inner = next((state[k] for k in _CONTAINER_KEYS if k in state), None)
        if inner is None:
            keys = ", ".join(map(repr, list(state)[:_SHOW]))
            raise ValueError(
                f"no state dict found: top-level keys are {keys}; expected tensors or one of "
                f"{', '.join(map(repr, _CONTAINER_KEYS))}"
            )
        state = inner
    if not isinstance(state, Mapping):
        raise ValueError(f"no state dict found: the checkpoint holds a {type(obj).__name__}")
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if tensors and all(k.startswith("module.") for k in tensors):
        tensors = {k[len("module.") :]: v for k, v in tensors.items()}
    if prefix:
        kept = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        if not kept:
            roots = sorted({k.split(".")[0] + "." for k in tensors})[:_SHOW]
            raise ValueError(
                f"no key starts with prefix {prefix!r}; the keys start with {', '.join(roots)}"
            )
        tensors = kept
    return tensors


def _is_state_dict(state: Mapping) -> bool:
    return bool(state) and all(isinstance(v, torch.Tensor) for v in state.values())


def load_weights(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    prefix: str | None = None,
    strict: bool = True,
) -> LoadResult:
    """Loads a local checkpoint into ``model``.

    Args:
        model: The module to fill (its parameters and buffers).
        path: A local file; URLs are refused (nothing is ever downloaded).
        prefix: Keep only checkpoint keys under this prefix and strip it
            (e.g. ``"encoder_q."``).
        strict: Require the checkpoint's keys to match the model's exactly. With
            ``strict=False`` missing and unexpected keys are reported in the result
            instead; differing shapes are an error either way.

    Returns:
        A :class:`LoadResult`.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If ``path`` is a URL, the file holds no state dict, or the keys or
            shapes do not match; the message names the file and the first offending
            keys and says what to try.
    """
    text = os.fspath(path)
    if "://" in text:
        raise ValueError(
            f"{text}: load_weights reads local files only; download the checkpoint first"
        )
    file = Path(text)
    if not file.is_file():
        raise FileNotFoundError(f"checkpoint not found: {file}")
    obj = load_tensors(file)
    try:
        state = extract_state_dict(obj, prefix)
    except ValueError as err:
        raise ValueError(f"{file}: {err}") from None
    except Exception as err:  # unpickling errors of all kinds
        raise ValueError(f"{file}: not a readable torch checkpoint ({err})") from err

    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f"{k} (checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)})"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if shapes or (strict and (missing or unexpected)):
        raise ValueError(_mismatch_message(file, model, missing, unexpected, shapes, prefix))
    to_load = {k: v for k, v in state.items() if k in own}
    model.load_state_dict(to_load, strict=False)
    return LoadResult(loaded=sorted(to_load), missing=missing, unexpected=unexpected)


def _mismatch_message(
    file: Path,
    model: nn.Module,
    missing: list[str],
    unexpected: list[str],
    shapes: list[str],
    prefix: str | None,
) -> str:
    def first(items: list[str]) -> str:
        more = f", ... ({len(items) - _SHOW} more)" if len(items) > _SHOW else ""
        return ", ".join(items[:_SHOW]) + more

    parts = [f"{file}: the checkpoint does not match {type(model).__name__}"]
    if missing:
        parts.append(f"{len(missing)} missing keys: {first(missing)}")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected keys: {first(unexpected)}")
    if shapes:
        parts.append(f"{len(shapes)} shape mismatches: {first(shapes)}")
    hint = (
        "Check that it was saved from the same backbone with the same settings "
        "(name, widths, layout, bodies)"
    )
    nested = {k.split(".", 1)[1] for k in unexpected if "." in k}
    if prefix is None and missing and set(missing) <= nested:
        roots = sorted({k.split(".")[0] + "." for k in unexpected})[:_SHOW]
        hint += f"; its keys may be nested under a prefix: try prefix= one of {roots}"
    else:
        hint += (
            "; pass prefix='...' if the encoder's keys sit under a prefix, or strict=False "
            "to load only the matching keys"
        )
    return "; ".join(parts) + ". " + hint + "."
