"""What a method provides to the engine: modules, a loss, and (optionally) an evaluation.

A method is a ``torch.nn.Module`` whose ``forward(batch)`` returns a dict of scalars
with ``"loss"`` (so DDP can wrap it). Everything else (devices, DDP, bf16 autocast,
accumulation, schedules, checkpoints, logging) belongs to :class:`actionkit.trainers.engine.Trainer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from actionkit.data import Normalize, SkeletonDataset
from actionkit.models import build_backbone
from actionkit.store.reader import Store
from actionkit.trainers.checkpoint import load_checkpoint


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

    def run_files(self) -> dict[str, Any]:
        """JSON files to write into the run folder when training starts (name -> content)."""
        return {}

    def start_epoch(self, epoch: int) -> None:
        """Called before every training epoch, resumed ones included (loss-weight schedules, ...)."""

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
        train_view: What the classifier trains on: ``test``, features of the test view,
            extracted once; ``train``, features of the recipe's training view redrawn
            every epoch (the CMD / ISC reference trains its linear classifier on random
            temporal crops, ``l_ratio`` U[0.1, 1], a new one each epoch).
    """

    epochs: int = 80
    lr: float = 0.1
    optimizer: str = "sgd"
    milestones: tuple[int, ...] = (50, 70)
    weight_decay: float = 0.0
    train_view: str = "test"

    def make_optimizer(self, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
        """The protocol's optimiser over ``params``."""
        if self.optimizer == "sgd":
            return torch.optim.SGD(params, lr=self.lr, momentum=0.9, weight_decay=self.weight_decay)
        if self.optimizer == "adam":
            return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        raise ValueError(f"unknown linear-probe optimiser {self.optimizer!r}; valid: sgd, adam")


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
        transfer: The transfer protocol's ``SupervisedConfig`` where the paper gives it its
            own schedule (I2MD: one lr drop, at 50); None: the finetune one.
        combined: The combined fine-tuning's protocol (ASMa: the alignment module on the
            two fine-tuned encoders, 50 epochs at lr 1e-4); None: the linear one.
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
    transfer: Any = None
    combined: LinearProtocol | None = None

    @property
    def input_key(self) -> str:
        """The batch key holding the encoder's input."""
        return self.derived or "x"

    def build_encoder(self, store: Store, model_state: dict[str, torch.Tensor] | None, source: str) -> nn.Module:
        """The recipe's backbone for ``store``, with its weights from a checkpoint's ``model`` state.

        Args:
            store: The store it will read (layout and body count).
            model_state: The checkpoint's ``model`` state dict, or None for a fresh
                (randomly initialised) encoder.
            source: Names the checkpoint in error messages.

        Raises:
            ValueError: No weights under ``state_prefix``, or weights of another shape.
        """
        encoder = build_backbone(self.backbone, store.layout, max_bodies=int(store.attrs["max_bodies"]),
                                 **self.backbone_kwargs)  # fmt: skip
        if model_state is None:
            return encoder
        prefix = self.state_prefix
        state = {k[len(prefix):]: v for k, v in model_state.items() if k.startswith(prefix)}
        if not state:
            raise ValueError(f"{source}: the checkpoint has no weights under {prefix!r}")
        try:
            encoder.load_state_dict(state)
        except RuntimeError as exc:
            raise ValueError(f"{source}: the checkpoint's encoder does not fit {self.backbone}: "
                             f"{str(exc).splitlines()[0]}") from None
        return encoder

    def build_finetuned(self, store: Store, run: Path, modality: str | None = None) -> nn.Module:
        """The encoder as ``actionkit eval finetune RUN [--modality M]`` left it.

        Raises:
            FileNotFoundError: that encoder was not fine-tuned yet (says the command).
        """
        folder = finetuned_path(run, modality)
        ckpt_file = folder / "checkpoints" / "last.pt"
        if not ckpt_file.is_file():
            flag = f" --modality {modality}" if modality else ""
            raise FileNotFoundError(f"{folder}: no fine-tuned encoder; run `actionkit eval finetune {run}{flag}` "
                                    f"first (the combined fine-tuning aligns the two fine-tuned encoders)")
        state = load_checkpoint(ckpt_file)["model"]  # the Supervised method: backbone.*, head.*
        tuned = {self.state_prefix + k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
        return self.build_encoder(store, tuned, str(ckpt_file))

    def dataset(self, store: Path, protocol: str, part: str, train: bool, seed: int | None = None) -> SkeletonDataset:
        """One split part fed as the recipe says (training or test transform).

        ``seed`` seeds the per-sample draws (default: the finetune protocol's seed).
        """
        norm = None if self.normalization == "none" else Normalize(self.normalization)
        streams = ("joint",) + ((self.derived,) if self.derived else ())
        return SkeletonDataset(store, (protocol, part), stream=self.stream,
                               transform=self.train_transform if train else self.test_transform,
                               streams_out=streams, seed=self.finetune.run.seed if seed is None else seed,
                               pre_transform=norm)  # fmt: skip


def finetuned_path(run: Path, modality: str | None = None) -> Path:
    """The run folder of ``actionkit eval finetune RUN [--modality M]``."""
    return Path(run) / "eval" / ("finetune" + (f"-{modality}" if modality else ""))
