"""What a method provides to the engine: modules, a loss, and (optionally) an evaluation.

A method is a ``torch.nn.Module`` whose ``forward(batch)`` returns a dict of scalars
with ``"loss"`` (so DDP can wrap it). Everything else (devices, DDP, bf16 autocast,
accumulation, schedules, checkpoints, logging) belongs to :class:`actionkit.trainers.engine.Trainer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class LinearProtocol:
    """The linear-evaluation protocol of a method's paper (a classifier on frozen features).

    The default is I2MD's: SGD (momentum 0.9) lr 0.1 for 80 epochs, x0.1 at epochs 50
    and 70. ASMa's: 150 epochs at lr 1e-3 (Adam).

    Attributes:
        epochs: Training epochs of the classifier.
        lr: Learning rate.
        optimizer: ``sgd`` (momentum 0.9) or ``adam``.
        milestones: Epochs at which the rate is multiplied by 0.1.
        weight_decay: L2 penalty of the classifier.
    """

    epochs: int = 80
    lr: float = 0.1
    optimizer: str = "sgd"
    milestones: tuple[int, ...] = (50, 70)
    weight_decay: float = 0.0


@dataclass
class EncoderRecipe:
    """How the evaluation protocols rebuild a run's encoder and feed it.

    Each method maps its run config to a recipe (``MethodEntry.encoder_recipe``), one per
    modality it trains; ``actionkit eval`` needs nothing else from the method.

    Attributes:
        backbone: A name of ``actionkit.models.BACKBONES``.
        backbone_kwargs: Its keyword arguments (widths, quirks, ...).
        state_prefix: Prefix of the encoder's weights in the checkpoint's ``model``.
        stream: The stored stream the datasets read.
        derived: ``motion`` or ``bone`` derived from the (transformed) joints and fed to
            the encoder instead of the stream itself; None feeds the stream (``"x"``).
        normalization: Load-time normalisation (``actionkit.normalize``), or ``none``.
        test_transform: Per-sample transform of evaluated samples (and of the features
            the linear and kNN protocols train on).
        train_transform: Per-sample augmentation of the finetune protocols.
        finetune: A ``SupervisedConfig`` holding the finetune protocol's data, optimiser
            and schedule (the paper's).
        linear: The linear protocol's hyper-parameters (the paper's).
    """

    backbone: str
    backbone_kwargs: dict[str, Any]
    state_prefix: str
    stream: str
    derived: str | None
    normalization: str
    test_transform: Callable
    train_transform: Callable
    finetune: Any
    linear: LinearProtocol = field(default_factory=LinearProtocol)

    @property
    def input_key(self) -> str:
        """The batch key holding the encoder's input."""
        return self.derived or "x"
