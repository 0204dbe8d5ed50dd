"""What a method provides to the engine: modules, a loss, and (optionally) an evaluation.

A method is a ``torch.nn.Module`` whose ``forward(batch)`` returns a dict of scalars
with ``"loss"`` (so DDP can wrap it). Everything else (devices, DDP, bf16 autocast,
accumulation, schedules, checkpoints, logging) belongs to :class:`actionkit.trainers.engine.Trainer`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn


class Method(nn.Module):
    """Base of every method; subclasses implement :meth:`forward`.

    Class attribute ``name`` is the method's id (``supervised``, ``i2md``, ...).
    """

    name = "method"

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:  # pragma: no cover - abstract
        """One training step's losses: ``{"loss": scalar, <other logged scalars>}``."""
        raise NotImplementedError

    def parameter_groups(self) -> Iterable[dict[str, Any]] | Iterable[nn.Parameter]:
        """What the optimiser updates (default: every parameter that requires grad)."""
        return [p for p in self.parameters() if p.requires_grad]

    def after_step(self) -> None:
        """Called after every optimiser step (momentum encoders, queues, ...)."""

    @torch.no_grad()
    def evaluate(self, loader: Iterable[dict[str, Any]], device: torch.device) -> dict[str, float]:
        """Metrics on a held-out loader (default: none)."""
        return {}
