"""MML: mutual modality learning across RGB, optical flow and RGB difference (``actionkit train mml``).

Komkov, Dzabraev, Petiushko, "Mutual modality learning for video action classification".
A run trains M TSM-ResNet-50 models together, each on its own modality (repeats allowed:
``rgb,rgb`` is plain mutual learning), each with cross-entropy plus the KL divergence from
the mean of the others' predictions to its own (eq. 4;
:func:`actionkit.losses.mutual.mutual_learning_loss`). Stages (Fig. 1 and 3):

- ``ce``: one model, cross-entropy, from ImageNet weights (``--init`` a local
  torchvision-layout ResNet-50 file); the pipeline trains two (seeds 0 and 1);
- ``ml``: two RGB models initialised from two ``ce`` runs (``--init ce0,ce1``), so that
  their KL is not already optimised;
- ``mml``: one model per modality, each initialised from a different ``ml`` run (the first
  conv adapted to the modality's channels: the mean of the RGB filters, section 2.1).

``--init`` takes one source per model (comma-separated) or one for all: a local weights
file, or a run folder (model i takes the run's model i, or its last one, backbone and
classifier). ``actionkit train mml --pipeline`` runs all stages in sub-folders of one run.

Inputs (section 2.3, Appendix 1): N = 8 positions per clip, drawn by uniform (TSN segments)
or dense (every tau-th frame) sampling, 50% each; every modality reads the same positions:
RGB one frame, flow 5 consecutive x/y pairs (10 channels), RGB difference 6 consecutive
frames -> 5 differences (15 channels). Multi-scale crops and a flip (off for
Something-Something, whose labels name directions; the authors' code never flips).
Test: the averaged predictions of ``data.test_views`` (``uniform2+dense1``: Appendix 1's
best), on central crops. Optimiser: SGD lr 0.025 for batch 64, TSM's weight decay 5e-4,
dropout 0.5; the epochs and decay (50 epochs, x0.1 at 20 and 40) are TSM's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from actionkit import open_store
from actionkit.data.clip_sampling import DenseSampler, MixedSampler, SegmentSampler, UniformTestSampler
from actionkit.data.video import VideoClipDataset
from actionkit.data.video_transforms import CentreCrop, Compose, HorizontalFlip, MultiScaleCrop, Resize
from actionkit.losses.mutual import mutual_learning_loss
from actionkit.models import build_video_backbone, load_image_weights
from actionkit.models.video_weights import fill_from_state
from actionkit.sources.registry import default_store
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import OptimConfig, RunConfig
from actionkit.trainers.method import Method
from actionkit.trainers.video_eval import collect_probabilities, ensemble_accuracies, video_scores

#: Input channels of each modality's model, and consecutive frames read per position.
CHANNELS = {"rgb": 3, "flow": 10, "rgbdiff": 15}
FLOW_STACK = 5
DIFF_FRAMES = 6
STAGES = ("ce", "ml", "mml")


@dataclass
class MMLDataConfig:
    """Store, split, and the sampling and augmentation recipe.

    Attributes:
        store: A video store with the modalities' streams (rgbdiff is computed from rgb).
        protocol: Split protocol (``split1`` for UCF-101, ``official`` for SSv2, ...).
        train_part / test_part: The parts.
        segments: N, positions per clip (8).
        sampling: ``mixed`` (uniform or dense, 50% each), ``uniform`` or ``dense``.
        dense_tau: Frames between dense positions (the paper leaves tau open; 2 here).
        crop: Training crop size (224).
        test_size: Test views at full resolution (Appendix 1: "central full-resolution
            crop"; section 3.1: TSM's 256 x 256 central crop): the short side resized to
            this, then a centre crop of this size. 0: a ``crop`` centre crop of the stored
            frames, the single 224 crop of the paper's ablations.
        modality_offset: Section 2.3's xi: where models' modalities have different frame
            counts (flow and a stored RGB difference have one fewer than RGB), indices are
            drawn for the shorter and the longer one reads them shifted by
            ``xi ~ U{0..N-n}``, per clip. False: every modality at the same indices.
        scales: Multi-scale crop scales (TSM's).
        flip: Random horizontal flips (flow x negated).
        test_views: ``uniformM+denseK``: M uniform and K dense views, averaged.
        batch_size / eval_batch_size / workers / repeat: Loader settings.
    """

    store: str = ""
    protocol: str = "split1"
    train_part: str = "train"
    test_part: str = "test"
    segments: int = 8
    sampling: str = "mixed"
    dense_tau: int = 2
    crop: int = 224
    test_size: int = 256
    modality_offset: bool = True
    scales: tuple[float, ...] = (1.0, 0.875, 0.75, 0.66)
    flip: bool = True
    test_views: str = "uniform2+dense1"
    batch_size: int = 64
    eval_batch_size: int = 4
    workers: int = 4
    repeat: int = 1


@dataclass
class MMLModelConfig:
    """The models.

    Attributes:
        modalities: One per model: ``rgb`` (stage ce), ``rgb,rgb`` (ml), ``rgb,flow[,rgbdiff]`` (mml).
        backbone: ``tsm50`` or ``tsm101``.
        width: Channel multiplier (1: the paper's; ImageNet weights need 1).
        zero_init_residual: Residual branches' last BN starts at zero (matters only from
            scratch; loaded weights replace it).
        dropout: Before each classifier (TSM's 0.5).
        init: Comma-separated initialisation per model, or one for all (see the module docstring).
        kl_weight: Factor of the KL terms (1).
        multilabel: BCE and Appendix 2's KL on a multi-label store (Charades-style: several
            classes per sample in the store's ``labels_<w>`` fields, docs/store.md); the test
            reports each model's and the sum's mean average precision (``map_<model>``,
            ``map_sum``), Charades' metric, over view-averaged sigmoid scores.
    """

    modalities: tuple[str, ...] = ("rgb",)
    backbone: str = "tsm50"
    width: float = 1.0
    zero_init_residual: bool = True
    dropout: float = 0.5
    init: str = ""
    kl_weight: float = 1.0
    multilabel: bool = False


@dataclass
class MMLConfig:
    """MML's settings.

    Attributes:
        stage: ``ce`` (one model, cross-entropy), ``ml`` (models of one modality) or ``mml``
            (one model per modality): Fig. 1's stages (``--stage``).
        pipeline: Run all three stages, each in a sub-folder of the run (Fig. 3, ``--pipeline``).
    """

    data: MMLDataConfig = field(default_factory=MMLDataConfig)
    model: MMLModelConfig = field(default_factory=MMLModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)
    stage: str = "ce"
    pipeline: bool = False


class Member(nn.Module):
    """One model: backbone, dropout, linear classifier."""

    def __init__(self, backbone: nn.Module, num_classes: int, dropout: float):
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(backbone.out_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.backbone(x)))


class MML(Method):
    """M models learning mutually, each on its own modality.

    Args:
        members: ``[(modality, Member)]``.
        kl_weight: Factor of the KL terms.
        multilabel: BCE and the B x N-averaged KL (targets ``[B, N]``).
    """

    name = "mml"

    def __init__(self, members: list[tuple[str, Member]], kl_weight: float = 1.0, multilabel: bool = False):
        super().__init__()
        self.member_modalities = tuple(m for m, _ in members)
        self.members = nn.ModuleList([net for _, net in members])
        self.kl_weight, self.multilabel = kl_weight, multilabel

    @property
    def modalities(self) -> tuple[str, ...]:
        """The distinct input modalities (what ``eval test --modalities`` selects from)."""
        return tuple(dict.fromkeys(self.member_modalities))

    @property
    def names(self) -> list[str]:
        """``<index>_<modality>`` per model, e.g. ``0_rgb``, ``1_flow``."""
        return [f"{i}_{m}" for i, m in enumerate(self.member_modalities)]

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        targets = batch["label"]
        logits = [net(batch["inputs"][m]) for m, net in zip(self.member_modalities, self.members)]
        total, task, kl = mutual_learning_loss(logits, targets, multilabel=self.multilabel, kl_weight=self.kl_weight)
        metrics = {"loss": total}
        for name, x, t, k in zip(self.names, logits, task, kl):
            metrics[f"task_{name}"] = t.detach()
            metrics[f"kl_{name}"] = k.detach()
            if not self.multilabel:
                metrics[f"acc_{name}"] = (x.detach().argmax(dim=1) == targets).float().mean()
        return metrics

    @torch.no_grad()
    def evaluate(self, loader: Iterable[dict[str, Any]], device: torch.device) -> dict[str, float]:
        """View-averaged accuracy of every model, their sum and the oracle (multi-label: mAP)."""
        if self.multilabel:
            return self._evaluate_multilabel(loader, device)
        fns = {n: net for n, net in zip(self.names, self.members)}
        sources = dict(zip(self.names, self.member_modalities))
        probs, labels = collect_probabilities(fns, loader, device, sources=sources)
        return {**ensemble_accuracies(probs, labels), "scores": video_scores(loader, probs, labels)}


    def _evaluate_multilabel(self, loader: Iterable[dict[str, Any]], device: torch.device) -> dict[str, float]:
        scores: dict[str, list[torch.Tensor]] = {n: [] for n in self.names}
        targets = []
        for batch in loader:
            for name, mod, net in zip(self.names, self.member_modalities, self.members):
                views = batch["inputs"][mod].to(device)
                views = views if views.dim() == 6 else views.unsqueeze(1)
                b, v = views.shape[:2]
                logits = net(views.reshape(b * v, *views.shape[2:])).float()
                scores[name].append(torch.sigmoid(logits).view(b, v, -1).mean(1).cpu())
            targets.append(batch["label"].float())
        y = torch.cat(targets)
        out = {f"map_{n}": mean_average_precision(torch.cat(s), y) for n, s in scores.items()}
        out["map_sum"] = mean_average_precision(sum(torch.cat(s) for s in scores.values()), y)
        return out


def mean_average_precision(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean over classes with a positive of the average precision (Charades' mAP).

    Args:
        scores: ``[N, C]`` (higher: more likely).
        targets: ``[N, C]`` multi-hot.
    """
    aps = []
    for c in range(scores.shape[1]):
        positives = targets[:, c] > 0
        if not positives.any():
            continue
        order = scores[:, c].argsort(descending=True)
        hits = positives[order].float()
        precision = hits.cumsum(0) / torch.arange(1, len(hits) + 1)
        aps.append(float((precision * hits).sum() / hits.sum()))
    return float(sum(aps) / len(aps)) if aps else 0.0


# ---------------------------------------------------------------------- data
def parse_views(spec: str) -> tuple[int, int]:
    """``uniform2+dense1`` -> (2 uniform views, 1 dense view)."""
    counts = {"uniform": 0, "dense": 0}
    for part in spec.split("+"):
        match = re.fullmatch(r"(uniform|dense)(\d+)", part.strip())
        if not match:
            raise ValueError(f"data.test_views={spec!r}: expected parts like uniform2+dense1")
        counts[match.group(1)] += int(match.group(2))
    if counts["uniform"] + counts["dense"] == 0:
        raise ValueError(f"data.test_views={spec!r} asks for no view")
    return counts["uniform"], counts["dense"]


class AppendixViews:
    """Appendix 1's deterministic views: ``uniform`` uniform views, then ``dense`` dense views."""

    def __init__(self, frames: int, uniform: int, dense: int, tau: int, length: int = 1):
        self.parts = ([UniformTestSampler(frames, uniform, length=length)] if uniform else []) + \
                     ([DenseSampler(frames, tau, train=False, views=dense, length=length)] if dense else [])

    def __call__(self, num_frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
        return np.concatenate([p(num_frames, rng) for p in self.parts])


def _inputs(cfg: MMLConfig, modalities: tuple[str, ...] | None = None) -> tuple[tuple[str, ...], int, dict]:
    mods = tuple(dict.fromkeys(modalities or cfg.model.modalities))
    length = FLOW_STACK if "flow" in mods else 1
    return mods, length, ({"flow": FLOW_STACK} if "flow" in mods else {})


def train_sampler(d: MMLDataConfig, length: int) -> Callable:
    uniform = SegmentSampler(d.segments, length)
    dense = DenseSampler(d.segments, d.dense_tau, length=length)
    choices = {"uniform": uniform, "dense": dense, "mixed": MixedSampler([uniform, dense])}
    if d.sampling not in choices:
        raise ValueError(f"data.sampling must be one of {', '.join(choices)}, got {d.sampling!r}")
    return choices[d.sampling]


def make_train_set(cfg: MMLConfig) -> VideoClipDataset:
    d = cfg.data
    mods, length, stack = _inputs(cfg)
    steps: list = [MultiScaleCrop(d.crop, d.scales)] + ([HorizontalFlip()] if d.flip else [])
    return VideoClipDataset(d.store, open_store(d.store).split(d.protocol, d.train_part), mods,
                            train_sampler(d, length), Compose(steps), seed=cfg.run.seed, diff_frames=DIFF_FRAMES,
                            stack=stack, modality_offset=d.modality_offset,
                            multilabel=cfg.model.multilabel)  # fmt: skip


def make_test_set(cfg: MMLConfig, modalities: tuple[str, ...] | None = None) -> VideoClipDataset:
    """The test part with ``data.test_views`` per video; only ``modalities`` are decoded."""
    d = cfg.data
    mods, length, stack = _inputs(cfg, modalities)
    uniform, dense = parse_views(d.test_views)
    sampler = AppendixViews(d.segments, uniform, dense, d.dense_tau, length)
    view = Compose([Resize(short=d.test_size), CentreCrop(d.test_size)]) if d.test_size else CentreCrop(d.crop)
    return VideoClipDataset(d.store, open_store(d.store).split(d.protocol, d.test_part), mods, sampler, view,
                            seed=cfg.run.seed, diff_frames=DIFF_FRAMES, stack=stack, multilabel=cfg.model.multilabel)


# ---------------------------------------------------------------------- models
def _init_member(member: Member, source: str, index: int, modality: str) -> None:
    """Fills one model from a weights file or a run folder (see the module docstring)."""
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"model.init: {path} does not exist (a run folder or a local weights file)")
    if path.is_dir():
        ckpt_file = path / "checkpoints" / "last.pt"
        if not ckpt_file.is_file():
            raise FileNotFoundError(f"model.init: {path} is not a run folder (no checkpoints/last.pt)")
        ckpt = load_checkpoint(ckpt_file)
        if ckpt.get("method") != "mml":
            raise ValueError(f"model.init: {path} is a {ckpt.get('method')} run, not an mml run")
        state = ckpt["model"]
        count = len({k.split(".")[1] for k in state if k.startswith("members.")})
        j = min(index, count - 1)
        backbone = {k[len(f"members.{j}.backbone."):]: v for k, v in state.items()
                    if k.startswith(f"members.{j}.backbone.")}  # fmt: skip
        fill_from_state(member.backbone, backbone, f"{ckpt_file} (model {j})")
        head = {k[len(f"members.{j}.head."):]: v for k, v in state.items() if k.startswith(f"members.{j}.head.")}
        if head["weight"].shape == member.head.weight.shape:
            member.head.load_state_dict(head)
        return
    load_image_weights(member.backbone, path)  # an ImageNet ResNet (or any backbone-layout file)


def build_members(cfg: MMLConfig, num_classes: int) -> list[tuple[str, Member]]:
    m = cfg.model
    bad = [x for x in m.modalities if x not in CHANNELS]
    if bad or not m.modalities:
        raise ValueError(f"model.modalities must be names among {', '.join(CHANNELS)}; got {m.modalities}")
    sources = [s.strip() for s in m.init.split(",")] if m.init else []
    if len(sources) not in (0, 1, len(m.modalities)):
        raise ValueError(f"model.init: give one source, or one per model ({len(m.modalities)}); got {len(sources)}")
    kwargs = {"width": m.width} if m.width != 1.0 else {}
    kwargs["zero_init_residual"] = m.zero_init_residual
    members = []
    for i, mod in enumerate(m.modalities):
        member = Member(build_video_backbone(m.backbone, CHANNELS[mod], **kwargs), num_classes, m.dropout)
        if sources:
            _init_member(member, sources[i] if len(sources) > 1 else sources[0], i, mod)
        members.append((mod, member))
    return members


def build(cfg: MMLConfig) -> tuple[MML, VideoClipDataset, VideoClipDataset]:
    """The method, its training set and its test set."""
    if cfg.stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, got {cfg.stage!r}")
    if not cfg.data.store or not Path(cfg.data.store).exists():
        raise FileNotFoundError(f"{cfg.data.store or '(none)'}: no store; build one with `actionkit prepare ucf101` "
                                f"(or ssv2, kinetics400) --streams rgb,flow, or pass --store")
    store = open_store(cfg.data.store)
    train_set, test_set = make_train_set(cfg), make_test_set(cfg)
    torch.manual_seed(cfg.run.seed)
    members = build_members(cfg, len(store.classes))
    return MML(members, cfg.model.kl_weight, cfg.model.multilabel), train_set, test_set


# ---------------------------------------------------------------------- the three-stage pipeline
def run_pipeline(cfg: MMLConfig, out: Path, train: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """Fig. 1: two ``ce`` RGB runs, one ``ml`` run of two RGB models from them, then the ``mml`` run.

    ``cfg.model.modalities`` are the final stage's; ``cfg.model.init`` is the ImageNet file of
    the ``ce`` runs (or empty: from scratch). The ``mml`` run's model i starts from the ``ml``
    run's model i (the third and later from its last: two ML models, as Fig. 1 has). Runs go
    to ``out/ce0``, ``out/ce1``, ``out/ml``, ``out/mml``. A stage that stops early (SIGTERM,
    ``run.max_steps``) stops the pipeline, so that no later stage starts from unfinished weights; running the same
    command again skips the stages that have a summary and resumes the stopped one from its
    checkpoint.

    Args:
        cfg: The final stage's settings (with ``pipeline`` true).
        out: The pipeline's folder.
        train: The registry's ``train(method, config, out=..., resume=...)``, passed in by
            the registry so that this module does not import the registry that imports it.
    """
    final = tuple(cfg.model.modalities)
    plan = [("ce0", "ce", ("rgb",), cfg.model.init, cfg.run.seed),
            ("ce1", "ce", ("rgb",), cfg.model.init, cfg.run.seed + 1),
            ("ml", "ml", ("rgb", "rgb"), f"{out / 'ce0'},{out / 'ce1'}", cfg.run.seed + 10),
            ("mml", "mml", final, str(out / "ml"), cfg.run.seed + 20)]  # fmt: skip
    summaries: dict[str, Any] = {}
    for name, stage_name, modalities, init, seed in plan:
        run = out / name
        if (run / "summary.json").exists():
            continue
        if (run / "checkpoints" / "last.pt").exists():
            summary = train("mml", None, resume=run)
        else:
            c = copy.deepcopy(cfg)
            c.stage, c.pipeline = stage_name, False
            c.model.modalities, c.model.init, c.run.seed = modalities, init, seed
            summary = train("mml", c, out=run)
        summaries[f"{name}_summary"] = summary
        if summary.get("interrupted"):
            return {"pipeline": str(out), "interrupted": True, "stopped_in": name,
                    "resume": "run the same --pipeline command again", **summaries}
    return {"pipeline": str(out), "stages": [name for name, *_ in plan], **summaries}


# ---------------------------------------------------------------------- presets
def _preset(dataset: str, protocol: str, test_part: str = "test", *, flip: bool = True, epochs: int = 50
            ) -> MMLConfig:
    return MMLConfig(
        data=MMLDataConfig(store=str(default_store(dataset)), protocol=protocol, test_part=test_part, flip=flip),
        optim=OptimConfig(name="sgd", lr=0.025, momentum=0.9, weight_decay=5e-4, schedule="step",
                          milestones=(epochs * 2 // 5, epochs * 4 // 5)),
        run=RunConfig(epochs=epochs, eval_every=5, log_every=20),
    )


def _motion_cpu() -> MMLConfig:
    """The learnability check on a generated motion dataset: TSM-ResNet-50 at quarter width, 56 crops, CPU minutes."""
    cfg = _preset("nwucla-rgbd", "xview", epochs=12)
    d = cfg.data
    d.crop, d.batch_size, d.eval_batch_size, d.workers, d.dense_tau = 56, 8, 4, 1, 2
    d.test_views, d.test_size = "uniform2+dense1", 0
    cfg.model.width, cfg.model.dropout = 0.25, 0.3
    cfg.optim.lr, cfg.optim.milestones, cfg.optim.warmup_epochs = 0.02, (9,), 1
    cfg.run.eval_every, cfg.run.log_every = 4, 5
    return cfg


#: Named presets: the paper's data recipe and optimiser on each dataset.
PRESETS: dict[str, Callable[[], MMLConfig]] = {
    "ssv2": lambda: _preset("ssv2", "official", "val", flip=False),
    "ucf101-split1": lambda: _preset("ucf101", "split1"),
    "kinetics400": lambda: _preset("kinetics400", "official", "val"),
    "motion-cpu": _motion_cpu,
}


def _stage(name: str, modalities: tuple[str, ...]) -> Callable[[MMLConfig], MMLConfig]:
    def apply(cfg: MMLConfig) -> MMLConfig:
        cfg.stage, cfg.model.modalities = name, modalities
        return cfg

    return apply


#: ``--stage`` name -> config change (``--modalities`` overrides the models' modalities).
VARIANTS: dict[str, Callable[[MMLConfig], MMLConfig]] = {
    "ce": _stage("ce", ("rgb",)),
    "ml": _stage("ml", ("rgb", "rgb")),
    "mml": _stage("mml", ("rgb", "flow")),
}
