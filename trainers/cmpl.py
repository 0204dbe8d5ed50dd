"""CMPL: cross-model pseudo-labelling for semi-supervised action recognition (``actionkit train cmpl``).

Xu, Wei, Wang et al., "Cross-Model Pseudo-Labeling for Semi-Supervised Action Recognition".
A primary 3D-ResNet-50 F sees 8 frames 8 apart and an auxiliary 3D-ResNet-50 x1/4 A sees
16 frames 4 apart, both from one 64-frame raw window (optionally ``time_offset`` seconds
apart). Both learn from the labelled videos with cross-entropy (eq. 2-3); on unlabelled
videos each predicts on a weak view (centre crop), and where its confidence reaches tau the
argmax becomes the OTHER model's target on a strong view (RandAugment + Cutout, the same
for every frame) (eq. 4-5). Loss: ``L_s^F + L_s^A + lambda (L_u^F + L_u^A)`` (eq. 6),
lambda 5 with 1% labels and 2 with 10%, B_u / B_l = 5, tau 0.9
(:mod:`actionkit.losses.pseudo_label`). ``loss.scheme`` selects Table A1's alternatives,
``fixmatch`` (the primary alone, its own pseudo-labels) and ``supervised`` (the primary
on the labelled videos only, the same steps).

Labelled subsets are class-balanced and seeded (Kinetics-400: 6 / 60 per class for 1% /
10%; UCF-101: 1 / 10; other stores: the fraction of each class's mean size), written to
``RUN/labelled.json``; the rest of the training part is unlabelled. An epoch is one pass
over the unlabelled videos. The log has, per epoch and model, the share of unlabelled
clips given a pseudo-label (``pl_ratio_*``) and the share given a correct one
(``pl_correct_*``: Fig. 2's "ratio of correct pseudo-labels", from held-back labels).

Test: 10 clips x 3 crops per video, primary only, probabilities averaged. SGD momentum
0.9, lr 0.1 cosine, weight decay 1e-4 (UCF-101: 1e-3), 200 epochs (paper settings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from actionkit import open_store
from actionkit.data.clip_sampling import StridedClipSampler
from actionkit.data.randaugment import RandAugment
from actionkit.data.semi import SemiSupervisedClips, balanced_subset
from actionkit.data.video import VideoClipDataset
from actionkit.data.video_transforms import (
    CentreCrop,
    Compose,
    HorizontalFlip,
    MultiScaleCrop,
    Resize,
    ThreeCrop,
)
from actionkit.losses.pseudo_label import (
    SCHEMES,
    masked_cross_entropy,
    pseudo_label_sources,
    pseudo_labels,
)
from actionkit.models import build_video_backbone
from actionkit.sources.registry import default_store
from actionkit.trainers.config import OptimConfig, RunConfig
from actionkit.trainers.method import Method
from actionkit.trainers.video_eval import collect_probabilities, ensemble_accuracies, video_scores

#: Labelled videos per class of the paper's 1% and 10% settings.
PAPER_PER_CLASS = {"kinetics400": {0.01: 6, 0.1: 60}, "ucf101": {0.01: 1, 0.1: 10}}
ALL_SCHEMES = (*SCHEMES, "supervised")


@dataclass
class CMPLDataConfig:
    """Store, labelled subset, clips and augmentations.

    Attributes:
        store / protocol / train_part / test_part: The store and split.
        labeled: Labelled fraction (0.01 or 0.1).
        labeled_per_class: Labelled videos per class (0: the paper's count for the dataset).
        subset_seed: Seed of the labelled subset (the paper averages seeds 0, 1, 2).
        mu: Unlabelled videos per labelled one (B_u / B_l).
        primary_frames / primary_stride: The primary's clip (8 x 8).
        aux_frames / aux_stride: The auxiliary's clip (16 x 4).
        time_offset: Seconds between the two clips' windows, at most (Table 5's t_s): 10, the
            full model of Table 2 ("Temporal Loc") at the largest, best t_s of Table 5 (a
            Kinetics clip lasts about 10 s, section 4.3.2).
        crop: Training crop size.
        randaugment_n / magnitude_low / magnitude_high / cutout: The strong view. The paper
            says only "following FixMatch, RandAugment together with Cutout" (section 3.3), so
            FixMatch's are used: 2 operations at a magnitude drawn uniformly in [1, 10] at
            every call instead of one fixed magnitude (FixMatch, section 2.3 and its
            RandAugment variant), Cutout of half the side.
        test_clips / test_size: 10 clips x 3 crops of ``test_size`` (256) at short side ``test_size``.
        batch_size: Labelled videos per optimiser step over all processes (B_l): 32, the
            paper's 2 per GPU on 16 GPUs (section 4.1), for which its lr 0.1 is given; the
            unlabelled batch is ``mu`` times it (160; 192 videos a step in all).
        eval_batch_size / workers / repeat: Loader settings.
    """

    store: str = ""
    protocol: str = "split1"
    train_part: str = "train"
    test_part: str = "test"
    labeled: float = 0.01
    labeled_per_class: int = 0
    subset_seed: int = 0
    mu: int = 5
    primary_frames: int = 8
    primary_stride: int = 8
    aux_frames: int = 16
    aux_stride: int = 4
    time_offset: float = 10.0
    crop: int = 224
    randaugment_n: int = 2
    magnitude_low: float = 1.0
    magnitude_high: float = 10.0
    cutout: float = 0.5
    test_clips: int = 10
    test_size: int = 256
    batch_size: int = 32
    eval_batch_size: int = 2
    workers: int = 4
    repeat: int = 1


@dataclass
class CMPLModelConfig:
    """The two networks.

    Attributes:
        primary / primary_width: F (``resnet3d50``, 1).
        aux / aux_width: A (``resnet3d50``, 0.25); Table 3 varies both.
        zero_init_residual: Residual branches' last BN starts at zero (both networks train
            from scratch; the usual choice for that, e.g. PySlowFast's ``RESNET.ZERO_INIT_FINAL_BN``).
        dropout: Before each classifier.
    """

    primary: str = "resnet3d50"
    primary_width: float = 1.0
    aux: str = "resnet3d50"
    aux_width: float = 0.25
    zero_init_residual: bool = True
    dropout: float = 0.5


@dataclass
class CMPLLossConfig:
    """Pseudo-labelling.

    Attributes:
        scheme: ``cross`` (CMPL), Table A1's ``self-first``, ``opposite-first``, ``maximum``,
            ``average``, ``fixmatch`` (primary alone) or ``supervised`` (no unlabelled loss).
        tau: Confidence threshold (0.9).
        lam: Weight of the unlabelled losses (default: 5 for <= 1% labels, else 2).
    """

    scheme: str = "cross"
    tau: float = 0.9
    lam: float | None = None


@dataclass
class CMPLConfig:
    data: CMPLDataConfig = field(default_factory=CMPLDataConfig)
    model: CMPLModelConfig = field(default_factory=CMPLModelConfig)
    loss: CMPLLossConfig = field(default_factory=CMPLLossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


class Classifier(nn.Module):
    """Backbone, dropout, linear classifier."""

    def __init__(self, backbone: nn.Module, num_classes: int, dropout: float):
        super().__init__()
        self.backbone, self.dropout = backbone, nn.Dropout(dropout)
        self.head = nn.Linear(backbone.out_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.backbone(x)))


def _flat(x: torch.Tensor) -> torch.Tensor:
    """``[B, mu, C, K, H, W]`` -> ``[B * mu, C, K, H, W]``."""
    return x.reshape(-1, *x.shape[2:])


class CMPL(Method):
    """Primary and (optional) auxiliary network with cross-model pseudo-labels.

    Args:
        primary: F.
        aux: A, or None (``fixmatch``, ``supervised``).
        scheme / tau / lam: See :class:`CMPLLossConfig` (``lam`` resolved).
        labelled: Store indices of the labelled videos (saved with the run).
    """

    name = "cmpl"

    def __init__(self, primary: nn.Module, aux: nn.Module | None, scheme: str, tau: float, lam: float,
                 labelled: np.ndarray | None = None):
        super().__init__()
        if scheme not in ALL_SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}; valid: {', '.join(ALL_SCHEMES)}")
        self.primary, self.aux = primary, aux
        self.scheme, self.tau, self.lam = scheme, tau, lam
        self.labelled = [] if labelled is None else [int(i) for i in labelled]

    def run_files(self) -> dict[str, Any]:
        return {"labelled.json": {"indices": self.labelled, "count": len(self.labelled)}}

    def _split_forward(self, net: nn.Module, parts: list[torch.Tensor]) -> list[torch.Tensor]:
        """One forward over the concatenated parts (shared BatchNorm statistics, as FixMatch), split back."""
        out = net(torch.cat(parts))
        return list(out.split([len(p) for p in parts]))

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        y = batch["label"]
        lab = batch["labelled"]
        if self.scheme == "supervised":
            loss = F.cross_entropy(self.primary(lab["primary"]).float(), y)
            return {"loss": loss, "sup_primary": loss.detach()}
        u = batch["unlabelled"]
        held_back = batch["unlabelled_label"].reshape(-1)
        nets = {"primary": self.primary} | ({"aux": self.aux} if self.aux is not None else {})
        logits = {k: self._split_forward(net, [lab[k], _flat(u[f"weak_{k}"]), _flat(u[f"strong_{k}"])])
                  for k, net in nets.items()}  # fmt: skip
        weak = {k: torch.softmax(v[1].detach().float(), dim=1) for k, v in logits.items()}
        sources = dict(zip(("primary", "aux"), pseudo_label_sources(weak["primary"], weak.get("aux"), self.scheme,
                                                                    self.tau)))  # fmt: skip
        metrics: dict[str, torch.Tensor] = {}
        total = torch.zeros((), device=y.device)
        for k in nets:
            sup = F.cross_entropy(logits[k][0].float(), y)
            labels = pseudo_labels(sources[k], self.tau)
            unsup = masked_cross_entropy(logits[k][2], labels)
            total = total + sup + self.lam * unsup
            metrics |= {f"sup_{k}": sup.detach(), f"unsup_{k}": unsup.detach(), f"pl_ratio_{k}": labels.mask.mean(),
                        f"pl_correct_{k}": (labels.mask * (labels.targets == held_back).float()).mean()}
        return {"loss": total, **metrics}

    @torch.no_grad()
    def evaluate(self, loader: Iterable[dict[str, Any]], device: torch.device) -> dict[str, float]:
        """The primary's accuracy over the test views (10 clips x 3 crops)."""
        probs, labels = collect_probabilities({"primary": self.primary}, loader, device, sources={"primary": "rgb"})
        out = ensemble_accuracies(probs, labels)
        return {"acc_primary": out["acc_primary"], "scores": video_scores(loader, probs, labels)}

    @property
    def modalities(self) -> tuple[str, ...]:
        return ("rgb",)


# ---------------------------------------------------------------------- data
def labelled_per_class(cfg: CMPLDataConfig, dataset: str, labels: np.ndarray) -> int:
    """The paper's count for Kinetics-400 / UCF-101, else the fraction of the mean class size."""
    if cfg.labeled_per_class:
        return cfg.labeled_per_class
    table = PAPER_PER_CLASS.get(dataset, {})
    for fraction, count in table.items():
        if abs(fraction - cfg.labeled) < 1e-9:
            return count
    mean_size = len(labels) / max(len(np.unique(labels)), 1)
    return max(1, int(round(cfg.labeled * mean_size)))


def split_labelled(cfg: CMPLConfig) -> tuple[np.ndarray, np.ndarray]:
    """(labelled, unlabelled) store indices of the training part."""
    d = cfg.data
    store = open_store(d.store)
    train = store.split(d.protocol, d.train_part).astype(np.int64)
    labels = store.samples["label"][train]
    chosen = balanced_subset(labels, labelled_per_class(d, store.dataset, labels), d.subset_seed)
    mask = np.zeros(len(train), bool)
    mask[chosen] = True
    return train[mask], train[~mask]


def make_train_set(cfg: CMPLConfig, labelled: np.ndarray, unlabelled: np.ndarray) -> SemiSupervisedClips:
    d, scheme = cfg.data, cfg.loss.scheme
    store = open_store(d.store)
    fps = float(np.median(store.samples["fps_milli"])) / 1000 if "fps_milli" in store.samples else 30.0
    standard = Compose([MultiScaleCrop(d.crop), HorizontalFlip()])
    weak = CentreCrop(d.crop)
    strong = Compose([CentreCrop(d.crop), RandAugment(d.randaugment_n, (d.magnitude_low, d.magnitude_high),
                                                      d.cutout)])  # fmt: skip
    aux = StridedClipSampler(d.aux_frames, d.aux_stride) if scheme not in ("fixmatch", "supervised") else None
    return SemiSupervisedClips(d.store, labelled, unlabelled, d.mu, StridedClipSampler(d.primary_frames,
                               d.primary_stride), aux, standard, weak, strong, offset=int(round(d.time_offset * fps)),
                               seed=cfg.run.seed, unlabelled_views=scheme != "supervised")  # fmt: skip


def make_test_set(cfg: CMPLConfig, modalities: tuple[str, ...] | None = None) -> VideoClipDataset:
    """The test part: ``test_clips`` windows x three ``test_size`` crops per video (primary clips)."""
    d = cfg.data
    sampler = StridedClipSampler(d.primary_frames, d.primary_stride, train=False, clips=d.test_clips)
    return VideoClipDataset(d.store, open_store(d.store).split(d.protocol, d.test_part), ("rgb",), sampler,
                            Compose([Resize(short=d.test_size), ThreeCrop(d.test_size)]), seed=cfg.run.seed)


def build(cfg: CMPLConfig) -> tuple[CMPL, SemiSupervisedClips, VideoClipDataset]:
    """The method, its semi-supervised training set and its test set."""
    if not cfg.data.store or not Path(cfg.data.store).exists():
        raise FileNotFoundError(f"{cfg.data.store or '(none)'}: no store; build one with `actionkit prepare ucf101` "
                                f"or `actionkit prepare kinetics400`, or pass --store")
    if cfg.loss.scheme not in ALL_SCHEMES:
        raise ValueError(f"unknown scheme {cfg.loss.scheme!r}; valid: {', '.join(ALL_SCHEMES)}")
    store = open_store(cfg.data.store)
    labelled, unlabelled = split_labelled(cfg)
    train_set, test_set = make_train_set(cfg, labelled, unlabelled), make_test_set(cfg)
    classes = len(store.classes)
    torch.manual_seed(cfg.run.seed)
    m = cfg.model

    def net(name: str, width: float) -> Classifier:
        kwargs = {"width": width} if width != 1.0 else {}
        kwargs["zero_init_residual"] = m.zero_init_residual
        return Classifier(build_video_backbone(name, 3, **kwargs), classes, m.dropout)

    primary = net(m.primary, m.primary_width)
    aux = net(m.aux, m.aux_width) if cfg.loss.scheme not in ("fixmatch", "supervised") else None
    lam = cfg.loss.lam if cfg.loss.lam is not None else (5.0 if cfg.data.labeled <= 0.01 else 2.0)
    return CMPL(primary, aux, cfg.loss.scheme, cfg.loss.tau, lam, labelled), train_set, test_set


# ---------------------------------------------------------------------- presets
def _preset(dataset: str, protocol: str, test_part: str, labeled: float, weight_decay: float,
            epochs: int = 200) -> CMPLConfig:
    return CMPLConfig(
        data=CMPLDataConfig(store=str(default_store(dataset)), protocol=protocol, test_part=test_part,
                            labeled=labeled),
        optim=OptimConfig(name="sgd", lr=0.1, momentum=0.9, weight_decay=weight_decay, schedule="cosine"),
        run=RunConfig(epochs=epochs, eval_every=10, log_every=20),
    )


def _motion_cpu() -> CMPLConfig:
    """The learnability check on a generated motion dataset with 10% labels: CPU minutes.

    3D-ResNet-18 at 1/4 width (primary) and 3D-ResNet-10 at 1/8 (auxiliary), 48-pixel
    crops, 8 x 2 and 16 x 1 clips of the 24-frame videos, batch 4 labelled + 20 unlabelled,
    10% of each class labelled (rounded).
    """
    cfg = _preset("nwucla-rgbd", "xview", "test", 0.1, 1e-3, epochs=20)
    d = cfg.data
    d.primary_frames, d.primary_stride, d.aux_frames, d.aux_stride = 8, 2, 16, 1
    d.crop, d.test_size, d.test_clips, d.batch_size, d.eval_batch_size, d.workers = 48, 48, 2, 4, 4, 1
    d.time_offset, d.magnitude_low = 0.0, 9.0  # the settings its figures were measured with
    cfg.model.primary, cfg.model.primary_width = "resnet3d18", 0.25
    cfg.model.aux, cfg.model.aux_width = "resnet3d10", 0.125
    cfg.model.dropout = 0.2
    cfg.optim.lr, cfg.optim.warmup_epochs = 0.05, 1
    cfg.run.eval_every, cfg.run.log_every = 5, 5
    return cfg


#: Named presets (section 4.1): SGD momentum 0.9, lr 0.1 cosine, 200 epochs, tau 0.9, B_u / B_l = 5.
PRESETS: dict[str, Callable[[], CMPLConfig]] = {
    "kinetics400-1pct": lambda: _preset("kinetics400", "official", "val", 0.01, 1e-4),
    "kinetics400-10pct": lambda: _preset("kinetics400", "official", "val", 0.1, 1e-4),
    "ucf101-1pct": lambda: _preset("ucf101", "split1", "test", 0.01, 1e-3),
    "ucf101-10pct": lambda: _preset("ucf101", "split1", "test", 0.1, 1e-3),
    "motion-cpu": _motion_cpu,
}


def _scheme(name: str) -> Callable[[CMPLConfig], CMPLConfig]:
    def apply(cfg: CMPLConfig) -> CMPLConfig:
        cfg.loss.scheme = name
        return cfg

    return apply


#: ``--scheme`` / ``--variant`` name -> config change (Table A1, FixMatch, supervised-only).
VARIANTS: dict[str, Callable[[CMPLConfig], CMPLConfig]] = {s: _scheme(s) for s in ALL_SCHEMES}
