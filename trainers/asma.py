"""ASMa: asymmetric spatio-temporal masking with two Barlow Twins encoders (``actionkit train asma``).

Anand et al., "ASMa: Asymmetric Spatio-temporal Masking for Skeleton Action
Representation Learning" (TMLR). Pre-training (section 3.3, Algorithm 1): two ST-GCN
encoders f_theta and f_phi (``stgcn16``, 256-d features) each see three streams of a
clip, the anchor ``x``, a joint-masked view ``x_j^k`` and a frame-masked view ``x_m^k``
(:class:`actionkit.data.ASMaMasking`, masks drawn per sample on the data side). A
projector shared by both encoders maps every stream to 6144-d (256 -> 6144 -> 6144 ->
6144, BN + ReLU, no biases); the loss is Barlow Twins between the anchor and each masked
stream (eq. 5-7), summed per encoder (eq. 8, :func:`actionkit.losses.asma_encoder_loss`)
and over the two encoders (eq. 9).

Every stream goes through its encoder and the projector in its own forward pass, so the
BatchNorm statistics are those of one stream's batch, as in Barlow Twins.

The paper gives no pre-training learning rate; the presets use 5e-3, the rate of PSTL,
the code ASMa builds on. ``masking.mode`` selects Table 9's pairings: ``asymmetric``
(the method), ``symmetric`` (high/high and low/low) or ``random``.

Evaluation (``actionkit eval linear|knn|finetune RUN``) uses one encoder, f_theta by
default (``--modality phi`` for f_phi), with the paper's protocols (section 4): linear
150 epochs lr 1e-3, finetune 150 epochs lr 5e-3; ``linear --align`` trains the
feature-alignment module on the frozen pair, ``finetune --align`` (the combined
fine-tuning) on the two fine-tuned encoders, 50 epochs at lr 1e-4. Each writes its test
logits beside the module, what 3s-ASMa's fusion of the joint, motion and bone runs reads.
ASMa-Distill is :mod:`actionkit.trainers.asma_distill`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from actionkit import open_store
from actionkit.data import SkeletonDataset
from actionkit.data import transforms as T
from actionkit.data.masking import ENCODERS, MASKINGS, ASMaMasking, joint_mask, pairing
from actionkit.data.pstl import pstl_augmentation
from actionkit.layouts import Layout
from actionkit.losses import asma_encoder_loss
from actionkit.models import MLPProjector, build_backbone
from actionkit.sources.registry import default_store
from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig, from_dict
from actionkit.trainers.method import EncoderRecipe, LinearProtocol, Method
from actionkit.trainers.supervised import AugmentConfig, ModelConfig, SupervisedConfig


@dataclass
class ASMaModelConfig:
    """The two encoders, the shared projector and the loss.

    Attributes:
        backbone: The encoders' backbone (``stgcn16``: PSTL's / ASMa's ST-GCN).
        channels: Block widths overriding the backbone's (empty: its preset).
        strides: Temporal strides of those blocks (same length as ``channels``).
        proj_hidden: Hidden width of the projector (6144).
        proj_dim: Output width of the projector (6144).
        proj_layers: Linear layers of the projector (3).
        lambd: Off-diagonal weight of Barlow Twins, lambda (2e-4).
    """

    backbone: str = "stgcn16"
    channels: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()
    proj_hidden: int = 6144
    proj_dim: int = 6144
    proj_layers: int = 3
    lambd: float = 2e-4


@dataclass
class MaskingConfig:
    """The masked streams and the augmentation ``T`` behind them.

    Attributes:
        mode: ``asymmetric`` (ASMa), ``symmetric`` or ``random`` (Table 9 ablations).
        joints: ``n``, joints masked in each spatial stream (9).
        frames: ``k``, frames masked in each temporal stream (10).
        normalization: Load-time normalisation (``actionkit.normalize``), or ``none``.
        crop_min: ``T``'s temporal crop: ratio ``U[crop_min, 1]`` of the clip, resized to
            ``data.frames`` (1: the whole clip).
        rotation: ``T``'s random rotation about x, y and z, at most this many degrees (0: none).
        flip: ``T``'s probability of a left/right mirror (0: none).
        augment_anchor: Apply ``T`` to the anchor too (Algorithm 1 feeds the clip itself).
    """

    mode: str = "asymmetric"
    joints: int = 9
    frames: int = 10
    normalization: str = "agcn"
    crop_min: float = 0.5
    rotation: float = 17.19
    flip: float = 0.5
    augment_anchor: bool = False


#: ``augment.recipe`` names.
RECIPES = ("asma", "pstl")


@dataclass
class RecipeConfig:
    """Which augmentation and masking recipe makes the views.

    Attributes:
        recipe: ``asma`` (the paper presets): ``T`` as section 3.1 lists it (temporal
            crop-resize, rotation, flip: ``masking.crop_min``, ``rotation``, ``flip``), masks
            that zero the joints and frames. ``pstl``: the augmentation of PSTL's released
            code, which ASMa builds on (:mod:`actionkit.data.pstl`: padded crop, shear,
            main-axis rotation, flip), and PSTL's masking by removal: masked frames are
            deleted from the frame-masked stream, masked joints taken out of the encoder's
            graph after its data BatchNorm, one joint set per batch as PSTL draws it (drawn
            by ASMa's degree sampling from ``(run.seed, epoch, the batch's first and last
            item)``).
    """

    recipe: str = "asma"


@dataclass
class ASMaConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ASMaModelConfig = field(default_factory=ASMaModelConfig)
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    augment: RecipeConfig = field(default_factory=RecipeConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


def backbone_kwargs(model: ASMaModelConfig) -> dict[str, Any]:
    """The backbone factory's keyword arguments (block widths and strides when overridden)."""
    if bool(model.channels) != bool(model.strides) or len(model.channels) != len(model.strides):
        raise ValueError(f"model.channels {model.channels} and model.strides {model.strides} must be given together "
                         "and have the same length")  # fmt: skip
    return {"channels": tuple(model.channels), "strides": tuple(model.strides)} if model.channels else {}


class ASMa(Method):
    """ASMa pre-training: two encoders, one shared projector, eq. 9.

    Args:
        make_backbone: Builds one encoder ``(N, C, T, V, M) -> (N, D)`` with ``out_dim``
            (called twice: f_theta, then f_phi).
        cfg: The model config.
    """

    name = "asma"

    def __init__(self, make_backbone: Callable[[], nn.Module], cfg: ASMaModelConfig,
                 removal: JointRemoval | None = None):
        super().__init__()
        self.removal, self.epoch = removal, 0
        if cfg.proj_layers < 1 or cfg.proj_dim < 1 or cfg.proj_hidden < 1:
            raise ValueError(f"the projector needs positive widths and at least one layer, got "
                             f"{cfg.proj_layers} layers {cfg.proj_hidden}/{cfg.proj_dim}")  # fmt: skip
        if cfg.lambd < 0:
            raise ValueError(f"model.lambd must be non-negative, got {cfg.lambd}")
        self.cfg = cfg
        self.encoders = nn.ModuleDict({k: make_backbone() for k in ENCODERS})
        dim = self.encoders["theta"].out_dim
        self.projector = MLPProjector(dim, cfg.proj_hidden, cfg.proj_dim, layers=cfg.proj_layers)

    def start_epoch(self, epoch: int) -> None:
        """Remember the epoch (it seeds the removed joints of the ``pstl`` recipe)."""
        self.epoch = epoch

    def project(self, encoder: str, x: torch.Tensor, joints: torch.Tensor | None = None) -> torch.Tensor:
        """``p(f_k(x))``: one stream ``(B, C, T, V, M)`` -> ``(B, proj_dim)`` (``joints``: those kept)."""
        return self.projector(self.encoders[encoder](x) if joints is None else self.encoders[encoder](x, joints))

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Eq. 9 on ``batch["x"]`` = the five streams of :data:`actionkit.data.masking.VIEWS`, each ``[B, C, T, V, M]``.

        Returns:
            ``loss`` (eq. 9) and each encoder's eq. 8 term (``theta``, ``phi``).
        """
        views = batch["x"]
        if not isinstance(views, (list, tuple)) or len(views) != 5:
            raise ValueError("ASMa expects batch['x'] to be the five streams [anchor, x_j^theta, x_m^theta, "
                             "x_j^phi, x_m^phi] (an ASMaMasking transform)")  # fmt: skip
        anchor, streams = views[0], {"theta": views[1:3], "phi": views[3:5]}
        terms = {}
        for k in ENCODERS:
            joint_masked, frame_masked = streams[k]
            kept = None if self.removal is None else self.removal.kept(k, batch["index"], self.epoch, anchor.device)
            z = self.project(k, anchor)
            terms[k] = asma_encoder_loss(z, self.project(k, joint_masked, kept), self.project(k, frame_masked),
                                         lambd=self.cfg.lambd)  # fmt: skip
        return {"loss": terms["theta"] + terms["phi"], **{k: v.detach() for k, v in terms.items()}}


class JointRemoval:
    """The ``pstl`` recipe's joints removed from an encoder's graph: one set per batch and encoder.

    Args:
        degrees: ``[V]`` joint degrees.
        n: Joints removed.
        mode: The masking pairing (f_theta high-degree, f_phi low-degree when asymmetric).
        seed: The run's seed.
    """

    def __init__(self, degrees: np.ndarray, n: int, mode: str, seed: int):
        self.degrees, self.n, self.pairs, self.seed = np.asarray(degrees), int(n), pairing(mode), int(seed)

    def kept(self, encoder: str, index: torch.Tensor, epoch: int, device: torch.device) -> torch.Tensor:
        """Indices of the joints kept for this batch (``index``: its items' positions)."""
        ids = index.reshape(-1).tolist()
        rng = np.random.default_rng([self.seed, epoch, ENCODERS.index(encoder), int(ids[0]), int(ids[-1]), len(ids)])
        removed = joint_mask(self.degrees, self.n, self.pairs[encoder][0], rng)
        return torch.from_numpy(np.flatnonzero(~removed)).to(device)


# ---------------------------------------------------------------------- data
def augmentation(cfg: ASMaConfig, layout: Layout) -> T.Compose:
    """The recipe's ``T``; ``asma``: temporal crop-resize to ``data.frames``, random rotation, left/right flip."""
    if cfg.augment.recipe == "pstl":
        return pstl_augmentation(cfg.data.frames, layout, flip=cfg.masking.flip)
    m = cfg.masking
    steps: list[Callable] = [T.TemporalCropResize((m.crop_min, 1.0), cfg.data.frames, min_length=cfg.data.frames)]
    if m.rotation:
        steps.append(T.RandomRotation(m.rotation))
    if m.flip and layout.flip_pairs:
        steps.append(T.Flip(layout, p=m.flip))
    return T.Compose(steps)


def _normalization(cfg: ASMaConfig) -> T.Normalize | None:
    return None if cfg.masking.normalization == "none" else T.Normalize(cfg.masking.normalization)


def check_config(cfg: ASMaConfig) -> None:
    """Raises ValueError with what to change when the config cannot run."""
    m = cfg.masking
    if cfg.augment.recipe not in RECIPES:
        raise ValueError(f"unknown augment.recipe {cfg.augment.recipe!r}; valid: {', '.join(RECIPES)}")
    if cfg.augment.recipe == "pstl" and not cfg.model.backbone.startswith("stgcn"):
        raise ValueError(f"augment.recipe=pstl removes joints from an ST-GCN's graph; model.backbone "
                         f"{cfg.model.backbone!r} is not one (use stgcn16)")
    if m.mode not in MASKINGS:
        raise ValueError(f"unknown masking.mode {m.mode!r}; valid: {', '.join(MASKINGS)}")
    if not 0.0 < m.crop_min <= 1.0:
        raise ValueError(f"masking.crop_min must be in (0, 1], got {m.crop_min}")
    if not 0 <= m.frames <= cfg.data.frames:
        raise ValueError(f"masking.frames={m.frames} must be in 0..data.frames ({cfg.data.frames})")
    if m.joints < 0:
        raise ValueError(f"masking.joints must be non-negative, got {m.joints}")
    if cfg.data.batch_size < 2:
        raise ValueError(f"Barlow Twins standardises over the batch: data.batch_size must be at least 2, "
                         f"got {cfg.data.batch_size}")  # fmt: skip
    backbone_kwargs(cfg.model)


def make_train_set(cfg: ASMaConfig, store: Path | None = None) -> SkeletonDataset:
    """The training part, each item's ``"x"`` the five ASMa streams of its clip."""
    check_config(cfg)
    st = open_store(Path(store or cfg.data.store))
    m = cfg.masking
    if m.joints > st.layout.num_joints:
        raise ValueError(f"masking.joints={m.joints} exceeds the {st.layout.num_joints} joints of {st.layout.name}")
    masking = ASMaMasking(st.layout.degrees, cfg.data.frames, m.joints, m.frames, m.mode,
                          augment=augmentation(cfg, st.layout), augment_anchor=m.augment_anchor,
                          removal=cfg.augment.recipe == "pstl")  # fmt: skip
    return SkeletonDataset(st, (cfg.data.protocol, cfg.data.train_part), stream=cfg.data.stream, transform=masking,
                           seed=cfg.run.seed, pre_transform=_normalization(cfg))  # fmt: skip


def build(cfg: ASMaConfig) -> tuple[ASMa, SkeletonDataset, None]:
    """The method and its training set (evaluation is ``actionkit eval`` on the run)."""
    train_set = make_train_set(cfg)
    max_bodies = int(open_store(cfg.data.store).attrs["max_bodies"])
    kwargs = backbone_kwargs(cfg.model)
    torch.manual_seed(cfg.run.seed)

    def make_backbone() -> nn.Module:
        return build_backbone(cfg.model.backbone, train_set.layout, max_bodies=max_bodies, **kwargs)

    removal = (JointRemoval(train_set.layout.degrees, cfg.masking.joints, cfg.masking.mode, cfg.run.seed)
               if cfg.augment.recipe == "pstl" else None)  # fmt: skip
    return ASMa(make_backbone, cfg.model, removal), train_set, None


# ---------------------------------------------------------------------- presets
def _preset(dataset: str, protocol: str, *, epochs: int = 150, warmup: int = 10, batch: int = 128, frames: int = 50,
            workers: int = 4, model: ASMaModelConfig | None = None) -> ASMaConfig:  # fmt: skip
    return ASMaConfig(
        data=DataConfig(store=str(default_store(dataset)), protocol=protocol, frames=frames, batch_size=batch,
                        workers=workers),  # fmt: skip
        model=model or ASMaModelConfig(),
        masking=MaskingConfig(),
        optim=OptimConfig(name="adam", lr=5e-3, weight_decay=1e-5, schedule="cosine", warmup_epochs=warmup),
        run=RunConfig(epochs=epochs, log_every=50),
    )


def _nwucla_cpu() -> ASMaConfig:
    """NW-UCLA cross-view on a 2-core CPU, about an hour.

    The paper's encoders, loss and schedule shape, scaled to the CPU: a 2048-wide
    projector (the 6144-wide one costs about 2.8x as much per step), batch 64, 32
    frames (NW-UCLA clips have a median of 31), and the masks scaled with the clip and
    the skeleton: 6 of 32 frames (10 of 50 in the paper) and 7 of NW-UCLA's 20 joints
    (9 of 25); one warm-up epoch. 60 epochs (15 steps each) took 55-62 minutes on two
    cores. Measured with this preset, ``eval linear --align`` (the paper's protocol):
    asymmetric 80.6%, symmetric masking 76.3% (``--standardize``: 80.0%, 79.5%, and
    68.3% for the untrained pair, f_theta and f_phi as a run starts); kNN of f_theta:
    69.4%, 70.7%. At 10 epochs the symmetric ablation was still ahead (70.5% vs 66.2%,
    aligned): the asymmetric masks need the longer budget.
    """
    cfg = _preset("nwucla", "xview", epochs=60, warmup=1, batch=64, frames=32, workers=1,
                  model=ASMaModelConfig(proj_hidden=2048, proj_dim=2048))  # fmt: skip
    cfg.masking.joints, cfg.masking.frames = 7, 6
    return cfg


#: Named presets (section 4 and Appendix B.1): Adam, cosine, 150 epochs, 10 warm-up,
#: batch 128, 50 frames, 9 joints and 10 frames masked, lambda 2e-4, weight decay 1e-5.
PRESETS: dict[str, Callable[[], ASMaConfig]] = {
    "ntu60-xsub": lambda: _preset("ntu60", "xsub"),
    "ntu60-xview": lambda: _preset("ntu60", "xview"),
    "ntu120-xsub": lambda: _preset("ntu120", "xsub"),
    "ntu120-xset": lambda: _preset("ntu120", "xset"),
    "pkummd1-xsub": lambda: _preset("pkummd1", "xsub"),  # section 4: pre-trained on PKU-MMD Part I
    "pkummd2-xsub": lambda: _preset("pkummd2", "xsub"),
    "nwucla-xview-cpu": _nwucla_cpu,
}


def _with_mode(mode: str) -> Callable[[ASMaConfig], ASMaConfig]:
    def apply(cfg: ASMaConfig) -> ASMaConfig:
        cfg.masking.mode = mode
        return cfg

    return apply


#: ``--variant`` name -> config transformation applied after the preset (Table 9's pairings).
VARIANTS: dict[str, Callable[[ASMaConfig], ASMaConfig]] = {mode: _with_mode(mode) for mode in MASKINGS}


# ---------------------------------------------------------------------- evaluation
def encoder_recipe(config: dict[str, Any], modality: str | None = None) -> EncoderRecipe:
    """How ``actionkit eval`` rebuilds one encoder of an ASMa run.

    Args:
        config: The run's config dict.
        modality: ``theta`` (default) or ``phi``: which encoder.

    Features and test samples use the clip resampled to the pre-training length;
    finetuning uses ``T`` and the paper's protocol (150 epochs, lr 5e-3; Adam, cosine);
    the linear protocol is 150 epochs at lr 1e-3 (Adam); the combined fine-tuning
    (``eval finetune --align``) trains the alignment module on the two fine-tuned encoders
    for 50 epochs at lr 1e-4 (section 4, "Downstream Evaluation").
    """
    cfg = from_dict(ASMaConfig, config)
    encoder = modality or "theta"
    if encoder not in ENCODERS:
        raise ValueError(f"an ASMa run has the encoders {', '.join(ENCODERS)}; it has no {modality} encoder")
    frames = cfg.data.frames
    finetune = SupervisedConfig(
        data=DataConfig(**vars(cfg.data)),
        model=ModelConfig(backbone=cfg.model.backbone),
        augment=AugmentConfig(normalization=cfg.masking.normalization),
        optim=OptimConfig(name="adam", lr=5e-3, weight_decay=1e-5, schedule="cosine"),
        run=RunConfig(epochs=150, eval_every=10, seed=cfg.run.seed),
    )
    layout = open_store(cfg.data.store).layout
    return EncoderRecipe(
        backbone=cfg.model.backbone,
        backbone_kwargs=backbone_kwargs(cfg.model),
        state_prefix=f"encoders.{encoder}.",
        stream=cfg.data.stream,
        derived=None,
        normalization=cfg.masking.normalization,
        test_transform=T.UniformResample(frames, mode="linear"),
        train_transform=augmentation(cfg, layout),
        finetune=finetune,
        linear=LinearProtocol(epochs=150, lr=1e-3, optimizer="adam", milestones=()),
        # Section 4, "Downstream Evaluation": the alignment module on the fine-tuned encoders.
        combined=LinearProtocol(epochs=50, lr=1e-4, optimizer="adam", milestones=()),
    )
