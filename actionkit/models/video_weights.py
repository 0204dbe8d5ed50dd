"""Initial weights for video backbones from local files: 2D -> 3D inflation and input-channel adaptation.

:func:`load_image_weights` fills a video backbone from a checkpoint whose parameter
names match it: an ImageNet ResNet saved in torchvision's layout (``conv1.weight``,
``layer1.0.conv1.weight``, ..., ``fc.weight``), a torchvision video model, or one of the
project's own runs. Three adaptations are made, each only where shapes call for it:

- **Inflation**: a 2D kernel ``(O, I, kh, kw)`` going into a 3D conv ``(O, I, kt, kh, kw)``
  is repeated over the kt positions and divided by kt (``inflate="mean"``, I3D: a clip of
  identical frames gives the 2D network's responses), or placed at the centre position
  with zeros elsewhere (``inflate="centre"``).
- **Input channels**: when the model's first conv takes a different number of channels
  than the checkpoint's (a flow or RGB-difference model initialised from RGB weights),
  its filters become the mean of the checkpoint's over input channels, repeated for every
  input channel (TSN's cross-modality initialisation; MML section 2.1).
- **Head**: checkpoint keys under ``head_prefixes`` (``fc.`` by default) are skipped:
  backbones have no classifier.

Anything else that does not match is an error naming the file and the keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from actionkit.models.weights import LoadResult, extract_state_dict, load_tensors

__all__ = [
    "load_image_weights", "fill_from_state", "adapt_state_dict", "inflate_kernel", "adapt_input_channels",
    "first_conv_key",
]

_SHOW = 5


def inflate_kernel(weight: torch.Tensor, frames: int, mode: str = "mean") -> torch.Tensor:
    """2D kernel ``(O, I, kh, kw)`` -> 3D kernel ``(O, I, frames, kh, kw)``.

    Args:
        weight: The 2D kernel.
        frames: Temporal size kt.
        mode: ``"mean"`` (repeat, divide by kt) or ``"centre"`` (centre position only).
    """
    if mode == "mean":
        return weight.unsqueeze(2).repeat(1, 1, frames, 1, 1) / frames
    if mode == "centre":
        out = weight.new_zeros(weight.shape[0], weight.shape[1], frames, *weight.shape[2:])
        out[:, :, frames // 2] = weight
        return out
    raise ValueError(f"inflate must be 'mean' or 'centre', got {mode!r}")


def adapt_input_channels(weight: torch.Tensor, channels: int) -> torch.Tensor:
    """First-conv filters for ``channels`` inputs: the mean over the checkpoint's inputs, repeated.

    Args:
        weight: ``(O, I, ...)``.
        channels: The new input count C.

    Returns:
        ``(O, C, ...)`` with every input slice equal to ``weight.mean(1)``.
    """
    mean = weight.mean(dim=1, keepdim=True)
    return mean.expand(mean.shape[0], channels, *mean.shape[2:]).contiguous()


def first_conv_key(model: nn.Module) -> str:
    """Name of the weight of the model's first convolution (the one that sees the input)."""
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Conv3d)):
            return f"{name}.weight"
    raise ValueError(f"{type(model).__name__} has no convolution")


def adapt_state_dict(
    state: dict[str, torch.Tensor],
    model: nn.Module,
    *,
    inflate: str = "mean",
    head_prefixes: tuple[str, ...] = ("fc.",),
) -> tuple[dict[str, torch.Tensor], LoadResult, list[str]]:
    """Reshapes a checkpoint's tensors for ``model`` (see the module docstring).

    Returns:
        ``(tensors to load, result, problems)``: problems are shape mismatches that no
        adaptation explains, as readable strings.
    """
    own = model.state_dict()
    first = first_conv_key(model)
    out: dict[str, torch.Tensor] = {}
    problems: list[str] = []
    for key, target in own.items():
        if key not in state:
            continue
        src = state[key]
        if src.shape != target.shape:
            if key == first and src.dim() >= 2 and src.shape[1] != target.shape[1]:
                src = adapt_input_channels(src, target.shape[1])
            if src.dim() == 4 and target.dim() == 5:
                src = inflate_kernel(src, target.shape[2], inflate)
        if src.shape != target.shape:
            problems.append(f"{key} (checkpoint {tuple(state[key].shape)}, model {tuple(target.shape)})")
            continue
        out[key] = src.to(target.dtype)
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    head = [k for k in unexpected if k.startswith(head_prefixes)]
    result = LoadResult(loaded=sorted(out), missing=missing, unexpected=[k for k in unexpected if k not in head])
    return out, result, problems


def load_image_weights(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    prefix: str | None = None,
    inflate: str = "mean",
    head_prefixes: tuple[str, ...] = ("fc.",),
    strict: bool = True,
) -> LoadResult:
    """Loads a local 2D or video checkpoint into a video backbone.

    Args:
        model: A video backbone (:data:`actionkit.models.VIDEO_BACKBONES`).
        path: A local file (URLs are refused): a state dict, or one under ``model``,
            ``state_dict`` or ``encoder``; ``module.`` prefixes are removed.
        prefix: Keep only the keys under this prefix, stripped (e.g. ``"backbone."``).
        inflate: ``"mean"`` or ``"centre"`` for 2D kernels going into 3D convs.
        head_prefixes: Checkpoint keys to skip (the classifier).
        strict: Require every model key to be filled and every other checkpoint key
            to be a head key; with ``strict=False`` they are reported in the result.

    Returns:
        A :class:`LoadResult` (``unexpected`` excludes the skipped head keys).

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: On a URL, an unreadable file, shapes no adaptation explains, or (strict)
            missing or unexpected keys; the message names the file and the first keys.
    """
    text = os.fspath(path)
    if "://" in text:
        raise ValueError(f"{text}: weights are read from local files only; download the checkpoint first")
    file = Path(text)
    if not file.is_file():
        raise FileNotFoundError(f"checkpoint not found: {file}")
    obj = load_tensors(file)
    try:
        state = extract_state_dict(obj, prefix)
    except ValueError as err:
        raise ValueError(f"{file}: {err}") from None
    return fill_from_state(model, state, str(file), inflate=inflate, head_prefixes=head_prefixes, strict=strict)


def fill_from_state(
    model: nn.Module,
    state: dict[str, torch.Tensor],
    source: str,
    *,
    inflate: str = "mean",
    head_prefixes: tuple[str, ...] = ("fc.",),
    strict: bool = True,
) -> LoadResult:
    """:func:`load_image_weights` for a state dict already in memory (``source`` names it in errors)."""
    file = source
    tensors, result, problems = adapt_state_dict(state, model, inflate=inflate, head_prefixes=head_prefixes)
    errors = []
    if problems:
        errors.append(f"{len(problems)} shape mismatches: {_first(problems)}")
    if strict and result.missing:
        errors.append(f"{len(result.missing)} missing keys: {_first(result.missing)}")
    if strict and result.unexpected:
        errors.append(f"{len(result.unexpected)} unexpected keys: {_first(result.unexpected)}")
    if errors:
        raise ValueError(
            f"{file}: the checkpoint does not fit {type(model).__name__}; " + "; ".join(errors)
            + ". Check the backbone name and depth, or pass prefix= if the weights sit under a prefix."
        )
    model.load_state_dict(tensors, strict=False)
    return result


def _first(items: list[str]) -> str:
    more = f", ... ({len(items) - _SHOW} more)" if len(items) > _SHOW else ""
    return ", ".join(items[:_SHOW]) + more
