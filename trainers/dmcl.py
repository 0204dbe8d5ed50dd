"""DMCL: distillation multiple choice learning over RGB, depth and optical flow (``actionkit train dmcl``).

Garcia, Bargal, Sclaroff et al., "DMCL: Distillation Multiple Choice Learning for
Multimodal Action Recognition". One R(2+1)D-18 per modality, trained from scratch
together (section 4.2). Per sample the network with the lowest cross-entropy is the
teacher: it learns from the label, the others (students) from the generalized
distillation loss towards its softened prediction (eq. 3, Algorithm 1;
:func:`actionkit.losses.mcl.mcl_loss`). ``loss.strategy`` selects the baselines of
Tables 1-2 in the same trainer: ``independent``, ``smcl``, ``cmcl``, ``random-teacher``.

Data (section 4.2): 8 TSN segments with one random frame each, the same indices for every
modality; a 224 crop around a randomly shifted centre, a flip (flow's x negated) and the
crop shared by all modalities, colour distortion on RGB only. Test: 10 clips of 8 randomly
sampled frames per video, centre crop, probabilities averaged over the clips; the test
log reports every modality alone, every subset's sum, Sigma (all) and the oracle Phi
(:mod:`actionkit.trainers.video_eval`). The training log has, per epoch, how often each
modality won (``train_win_<m>``): Figure 3's winner-takes-all is visible there.

The paper gives SGD (momentum 0.9) at lr 1e-3, T in {2, 5} and lambda in {0.5, 1}; it
does not give the epochs, batch size or decay (the authors' code hard-codes lr 0.00128 with
warm-up and step decay). The presets' 60 epochs, batch 16, one warm-up epoch and x0.1
at epochs 40 and 55 are this project's choice.

Flow: the paper's flow frames come from Ce Liu's coarse-to-fine flow (section 4.1: the
pyflow implementation [31] of Liu's thesis [23]); the stores' flow is TV-L1 (``prepare
--streams flow``, :mod:`actionkit.video.flow`), the usual flow of action recognition. No
implementation of Liu's flow is part of this project, so TV-L1 stays the default and the
flow network's figures are not expected to match the paper's to the point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from actionkit import open_store
from actionkit.data.clip_sampling import RepeatedSampler, SegmentSampler
from actionkit.data.video import VideoClipDataset
from actionkit.data.video_transforms import CentreCrop, ColourJitter, Compose, HorizontalFlip, ShiftedCentreCrop
from actionkit.losses.mcl import STRATEGIES, mcl_loss
from actionkit.models import build_video_backbone, load_image_weights
from actionkit.sources.registry import default_store
from actionkit.trainers.config import OptimConfig, RunConfig
from actionkit.trainers.method import Method
from actionkit.trainers.video_eval import collect_probabilities, ensemble_accuracies, video_scores

#: Input channels of each modality's network.
CHANNELS = {"rgb": 3, "depth": 1, "flow": 2}


@dataclass
class DMCLDataConfig:
    """Store, split, modalities and the clip recipe.

    Attributes:
        store: The video store (``actionkit prepare nwucla-rgbd`` etc.).
        protocol: Split protocol (``xview``, ``xview12``, ``xsub``).
        train_part: Part to train on.
        test_part: Part to test on.
        modalities: Two or three of ``rgb``, ``depth``, ``flow``.
        segments: TSN segments, one frame each (8).
        crop: Crop size (224).
        max_shift: Training crop centre shift, at most this many pixels each way.
        flip: Random horizontal flip (shared by all modalities).
        colour: Random colour distortion of RGB.
        test_clips: Clips per test video (10).
        test_sampling: ``random`` (the paper: 8 random frames per clip, seeded) or
            ``even`` (10 evenly shifted segment-centre views).
        batch_size: Videos per optimiser step over all processes.
        eval_batch_size: Videos per test batch.
        workers: Loader processes per training process.
        repeat: Passes over the training part per epoch.
    """

    store: str = ""
    protocol: str = "xview"
    train_part: str = "train"
    test_part: str = "test"
    modalities: tuple[str, ...] = ("rgb", "depth", "flow")
    segments: int = 8
    crop: int = 224
    max_shift: int = 16
    flip: bool = True
    colour: bool = True
    test_clips: int = 10
    test_sampling: str = "random"
    batch_size: int = 16
    eval_batch_size: int = 2
    workers: int = 4
    repeat: int = 1


@dataclass
class DMCLModelConfig:
    """The modality networks.

    Attributes:
        backbone: A video backbone (``r2plus1d18``).
        width: Channel multiplier of the backbone (1: the paper's).
        dropout: Dropout before each classifier.
        init: Optional local checkpoint every network starts from (the paper: none).
    """

    backbone: str = "r2plus1d18"
    width: float = 1.0
    dropout: float = 0.0
    init: str = ""


@dataclass
class DMCLLossConfig:
    """The multiple-choice strategy (:func:`actionkit.losses.mcl.mcl_loss`).

    Attributes:
        strategy: ``dmcl``, ``independent``, ``smcl``, ``cmcl`` or ``random-teacher``.
        temperature: T of the soft targets (2 or 5).
        lam: lambda of the generalized distillation loss (0.5 or 1).
        beta: CMCL's weight of the losers' uniform term.
        distill_scale: Factor of the distillation term (the authors' code: T^2).
        loser_gt_weight: Weight of the losers' label term (default ``1 - lam``).
    """

    strategy: str = "dmcl"
    temperature: float = 2.0
    lam: float = 0.5
    beta: float = 0.75
    distill_scale: float = 1.0
    loser_gt_weight: float | None = None


@dataclass
class DMCLConfig:
    data: DMCLDataConfig = field(default_factory=DMCLDataConfig)
    model: DMCLModelConfig = field(default_factory=DMCLModelConfig)
    loss: DMCLLossConfig = field(default_factory=DMCLLossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


class DMCL(Method):
    """One classifier network per modality, trained by a multiple-choice strategy.

    Args:
        backbones: ``{modality: backbone (N, C, K, H, W) -> (N, D)}``.
        num_classes: Classes.
        loss: The strategy and its weights.
        dropout: Dropout before each linear classifier.
    """

    name = "dmcl"

    def __init__(self, backbones: dict[str, nn.Module], num_classes: int, loss: DMCLLossConfig, dropout: float = 0.0):
        super().__init__()
        if loss.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {loss.strategy!r}; valid: {', '.join(STRATEGIES)}")
        self.modalities = tuple(backbones)
        self.backbones = nn.ModuleDict(backbones)
        self.heads = nn.ModuleDict({m: nn.Linear(b.out_dim, num_classes) for m, b in backbones.items()})
        self.dropout = nn.Dropout(dropout)
        self.loss_cfg = loss

    def logits(self, modality: str, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, K, H, W)`` -> ``(N, classes)`` of one modality's network."""
        return self.heads[modality](self.dropout(self.backbones[modality](x)))

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        labels = batch["label"]
        logits = [self.logits(m, batch["inputs"][m]) for m in self.modalities]
        c = self.loss_cfg
        out = mcl_loss(logits, labels, c.strategy, temperature=c.temperature, lam=c.lam, beta=c.beta,
                       distill_scale=c.distill_scale, loser_gt_weight=c.loser_gt_weight)
        metrics = {"loss": out.loss}
        for i, m in enumerate(self.modalities):
            metrics[f"ce_{m}"] = out.ce[i].mean()
            metrics[f"acc_{m}"] = (logits[i].detach().argmax(dim=1) == labels).float().mean()
            if c.strategy != "independent":
                metrics[f"win_{m}"] = (out.winners == i).float().mean()
        return metrics

    @torch.no_grad()
    def evaluate(self, loader: Iterable[dict[str, Any]], device: torch.device) -> dict[str, float]:
        """Clip-averaged accuracy of each modality present in the batches, their sums, and the oracle."""
        fns = {m: (lambda x, m=m: self.logits(m, x)) for m in self.modalities}
        probs, labels = collect_probabilities(fns, loader, device)
        return {**ensemble_accuracies(probs, labels), "scores": video_scores(loader, probs, labels)}


# ---------------------------------------------------------------------- data
def train_transform(cfg: DMCLDataConfig) -> Callable:
    steps: list = [ShiftedCentreCrop(cfg.crop, cfg.max_shift)]
    steps += [HorizontalFlip()] if cfg.flip else []
    steps += [ColourJitter()] if cfg.colour else []
    return Compose(steps)


def make_train_set(cfg: DMCLConfig) -> VideoClipDataset:
    d = cfg.data
    store = open_store(d.store)
    indices = store.split(d.protocol, d.train_part)  # data.repeat is applied by the loop's sampler
    return VideoClipDataset(d.store, indices, d.modalities, SegmentSampler(d.segments), train_transform(d),
                            seed=cfg.run.seed)


def make_test_set(cfg: DMCLConfig, modalities: tuple[str, ...] | None = None) -> VideoClipDataset:
    """The test part: ``test_clips`` clips per video, centre crops; only ``modalities`` are decoded."""
    d = cfg.data
    if d.test_sampling == "random":
        sampler = RepeatedSampler(SegmentSampler(d.segments), d.test_clips)
    elif d.test_sampling == "even":
        sampler = SegmentSampler(d.segments, train=False, clips=d.test_clips)
    else:
        raise ValueError(f"data.test_sampling must be 'random' or 'even', got {d.test_sampling!r}")
    indices = open_store(d.store).split(d.protocol, d.test_part)
    return VideoClipDataset(d.store, indices, tuple(modalities or d.modalities), sampler, CentreCrop(d.crop),
                            seed=cfg.run.seed)


def build(cfg: DMCLConfig) -> tuple[DMCL, VideoClipDataset, VideoClipDataset]:
    """The method, its training set and its test set."""
    d = cfg.data
    if not d.store:
        raise ValueError("no store: pass --store, e.g. one built by `actionkit prepare nwucla-rgbd`")
    bad = [m for m in d.modalities if m not in CHANNELS]
    if bad or len(d.modalities) < 1 or len(set(d.modalities)) != len(d.modalities):
        raise ValueError(f"data.modalities must be distinct names among {', '.join(CHANNELS)}; got {d.modalities}")
    if not Path(d.store).exists():
        raise FileNotFoundError(f"{d.store}: no store here; build it with `actionkit prepare nwucla-rgbd "
                                f"--raw <the multiview_action download> --streams rgb,depth,flow` (or uwa3d2-rgbd, "
                                f"ntu60-rgbd, ntu120-rgbd), or pass --store")
    store = open_store(d.store)
    train_set, test_set = make_train_set(cfg), make_test_set(cfg)
    torch.manual_seed(cfg.run.seed)
    backbones = {}
    for m in d.modalities:
        net = build_video_backbone(cfg.model.backbone, CHANNELS[m], **_backbone_kwargs(cfg.model))
        if cfg.model.init:
            load_image_weights(net, cfg.model.init)
        backbones[m] = net
    return DMCL(backbones, len(store.classes), cfg.loss, cfg.model.dropout), train_set, test_set


def _backbone_kwargs(model: DMCLModelConfig) -> dict[str, Any]:
    return {"width": model.width} if model.width != 1.0 else {}


# ---------------------------------------------------------------------- presets
def _preset(dataset: str, protocol: str, test_part: str = "test", *, epochs: int = 60) -> DMCLConfig:
    return DMCLConfig(
        data=DMCLDataConfig(store=str(default_store(dataset)), protocol=protocol, test_part=test_part),
        optim=OptimConfig(name="sgd", lr=1e-3, momentum=0.9, weight_decay=1e-4, schedule="step",
                          milestones=(epochs * 2 // 3, epochs * 11 // 12), warmup_epochs=1),
        run=RunConfig(epochs=epochs, eval_every=5, log_every=20),
    )


def _motion_cpu() -> DMCLConfig:
    """The learnability check on a generated motion dataset (``actionkit.synthetic.videos``), CPU minutes.

    R(2+1)D-18 at quarter width on 56-pixel crops of 64-pixel frames, batch 8, lr 0.05:
    the paper's networks and rate need GPU days; this keeps its data recipe and loss.
    """
    cfg = _preset("nwucla-rgbd", "xview", epochs=12)
    cfg.data.crop, cfg.data.max_shift, cfg.data.batch_size, cfg.data.workers = 56, 4, 8, 1
    cfg.data.eval_batch_size = 4
    cfg.model.width = 0.25
    cfg.optim.lr, cfg.optim.milestones, cfg.optim.warmup_epochs = 0.05, (9,), 1
    cfg.run.eval_every, cfg.run.log_every = 4, 5
    return cfg


#: Named presets: SGD momentum 0.9, lr 1e-3, T 2, lambda 0.5, 8 segments, 224 crops, 10 test clips.
#: Their flow is the store's TV-L1 flow; the paper used Ce Liu's coarse-to-fine flow (pyflow).
PRESETS: dict[str, Callable[[], DMCLConfig]] = {
    "nwucla-xview": lambda: _preset("nwucla-rgbd", "xview"),
    "uwa3d2-view12": lambda: _preset("uwa3d2-rgbd", "xview12", "test3"),
    "ntu60-xsub": lambda: _preset("ntu60-rgbd", "xsub"),
    "ntu120-xsub": lambda: _preset("ntu120-rgbd", "xsub"),
    "motion-cpu": _motion_cpu,
}


def _with_strategy(strategy: str) -> Callable[[DMCLConfig], DMCLConfig]:
    def apply(cfg: DMCLConfig) -> DMCLConfig:
        cfg.loss.strategy = strategy
        return cfg

    return apply


#: ``--variant`` / ``--strategy`` name -> config change (Tables 1-2's baselines).
VARIANTS: dict[str, Callable[[DMCLConfig], DMCLConfig]] = {s: _with_strategy(s) for s in STRATEGIES}
