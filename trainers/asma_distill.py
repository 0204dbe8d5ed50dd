"""ASMa-Distill: a lightweight student from a frozen ASMa teacher (``actionkit train asma-distill``).

ASMa section 3.5 and 4 ("Knowledge Distillation"). The teacher is the whole ASMa model:
the two pre-trained encoders f_theta and f_phi and the feature-alignment module with its
classifier (eq. 10-12), frozen. Here that is an ASMa run folder (``teacher.run``) and the
alignment module trained on it by ``actionkit eval linear RUN --align`` (the
"linear-probed teacher"; ``teacher.finetuned`` takes the fine-tuned teacher of section
5.4: the encoders fine-tuned by ``eval finetune`` with the module of the combined
fine-tuning, ``eval finetune RUN --align``; ``teacher.alignment`` points at another
module). The student f_s is a 5-layer ST-GCN (``stgcn5``) with a linear classifier,
trained on the teacher's temperature-softened logits alone (eq. 13-14,
:func:`actionkit.losses.knowledge_distillation`): no ground-truth labels. The paper:
150 epochs at lr 1e-2 (Adam, cosine, as its other stages); tau 8 on NTU-60 x-sub, 9 on
x-view, 6 on NTU-120 x-sub.

The data come from the teacher's run: its store, split, stream, clip length and
normalisation. Teacher and student see the same input; training clips get ASMa's
augmentation ``T`` (crop-resize, rotation, flip), test clips the evaluation view. The
labels are read only to report accuracies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from actionkit import open_store
from actionkit.data import SkeletonDataset
from actionkit.losses import knowledge_distillation
from actionkit.models import FeatureAlignment, LinearHead, build_backbone
from actionkit.models.weights import load_tensors
from actionkit.trainers import asma
from actionkit.trainers.checkpoint import load_checkpoint
from actionkit.trainers.config import DataConfig, OptimConfig, RunConfig, from_dict
from actionkit.trainers.method import Method
from actionkit.trainers.probe import alignment_path


@dataclass
class TeacherConfig:
    """The frozen teacher.

    Attributes:
        run: An ``actionkit train asma`` run folder (its last checkpoint is used).
        finetuned: The fine-tuned teacher of section 5.4 (Tables 5 and 8, "FT"): the two
            encoders as ``eval finetune RUN`` and ``eval finetune RUN --modality phi`` left
            them, with the alignment module of the combined fine-tuning (``eval finetune
            RUN --align``). False: the linear-probed teacher ("LP"): the pre-trained
            encoders with the module of ``eval linear RUN --align``.
        alignment: The trained alignment module (default: ``RUN/eval/align/aligned.pt``, or
            ``RUN/eval/finetune-align/aligned.pt`` with ``finetuned``).
    """

    run: str = ""
    finetuned: bool = False
    alignment: str = ""


@dataclass
class StudentConfig:
    """The student and the distillation loss.

    Attributes:
        backbone: The student's backbone (``stgcn5``: 5 ST-GCN layers).
        tau: Temperature of eq. 13 (both distributions).
        reverse_kl: ``KL(student || teacher)``, eq. 14 read literally (default: the
            teacher-to-student divergence of Hinton et al.).
        scale_tau_squared: Multiply the loss by ``tau^2`` (not in the paper).
    """

    backbone: str = "stgcn5"
    tau: float = 8.0
    reverse_kl: bool = False
    scale_tau_squared: bool = False


@dataclass
class DistillConfig:
    data: DataConfig = field(default_factory=DataConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    model: StudentConfig = field(default_factory=StudentConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    run: RunConfig = field(default_factory=RunConfig)


class AlignedTeacher(nn.Module):
    """f_theta and f_phi with the alignment module: ``(N, C, T, V, M)`` -> ``(N, classes)`` logits."""

    def __init__(self, theta: nn.Module, phi: nn.Module, alignment: FeatureAlignment):
        super().__init__()
        self.theta, self.phi, self.alignment = theta, phi, alignment

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.alignment(self.theta.forward_frames(x), self.phi.forward_frames(x))


def load_teacher(cfg: TeacherConfig) -> tuple[AlignedTeacher, dict[str, Any]]:
    """The frozen teacher of a config, and its ASMa run's config (a dict, as saved).

    Raises:
        ValueError: no teacher run given, a run that is not ASMa, or a missing alignment module.
    """
    if not cfg.run:
        raise ValueError("asma-distill needs a teacher: --teacher runs/asma/<run> (or --set teacher.run=...)")
    ckpt = load_checkpoint(Path(cfg.run))
    if ckpt.get("method") != "asma":
        raise ValueError(f"{cfg.run}: the teacher must be an asma run, not {ckpt.get('method')!r}")
    path = Path(cfg.alignment) if cfg.alignment else alignment_path(Path(cfg.run), combined=cfg.finetuned)
    if not path.is_file():
        protocol = "finetune" if cfg.finetuned else "linear"
        raise ValueError(f"{path}: no trained alignment module; run `actionkit eval {protocol} {cfg.run} --align` "
                         f"first")
    store = open_store(from_dict(asma.ASMaConfig, ckpt["config"]).data.store)
    encoders = [asma.encoder_recipe(ckpt["config"], name).build_encoder(store, ckpt["model"], cfg.run)
                for name in ("theta", "phi")]  # fmt: skip
    if cfg.finetuned:
        encoders = [asma.encoder_recipe(ckpt["config"], name).build_finetuned(store, Path(cfg.run),
                                                                              None if name == "theta" else name)
                    for name in ("theta", "phi")]  # fmt: skip
    saved = load_tensors(path)
    alignment = FeatureAlignment(saved["dim"], saved["num_classes"], num_heads=saved["num_heads"])
    alignment.load_state_dict(saved["state_dict"])
    teacher = AlignedTeacher(*encoders, alignment).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher, ckpt["config"]


class ASMaDistill(Method):
    """A student (backbone + linear head) trained on a frozen teacher's softened logits.

    Args:
        teacher: ``(N, C, T, V, M) -> (N, classes)``, frozen (kept in eval mode).
        student: Backbone ``(N, C, T, V, M) -> (N, D)`` with ``out_dim``.
        num_classes: Classes of both.
        cfg: The student config (temperature, KL direction).
    """

    name = "asma-distill"

    def __init__(self, teacher: nn.Module, student: nn.Module, num_classes: int, cfg: StudentConfig):
        super().__init__()
        if not cfg.tau > 0:
            raise ValueError(f"model.tau must be positive, got {cfg.tau}")
        self.cfg = cfg
        self.teacher = teacher
        self.student = student
        self.head = LinearHead(student.out_dim, num_classes)

    def train(self, mode: bool = True) -> ASMaDistill:
        super().train(mode)
        self.teacher.eval()  # frozen: its BatchNorm statistics and dropout never change
        return self

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The student's ``(N, classes)`` logits."""
        return self.head(self.student(x))

    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Eq. 14 on ``batch["x"]`` ``[B, C, T, V, M]``; labels only feed the logged accuracy."""
        x = batch["x"]
        with torch.no_grad():
            teacher = self.teacher(x)
        student = self.logits(x)
        loss = knowledge_distillation(student, teacher, self.cfg.tau, reverse=self.cfg.reverse_kl,
                                      scale_tau_squared=self.cfg.scale_tau_squared)  # fmt: skip
        agree = (student.argmax(1) == teacher.argmax(1)).float().mean()
        acc = (student.argmax(1) == batch["label"]).float().mean()
        return {"loss": loss, "agree": agree, "acc": acc}

    @torch.no_grad()
    def evaluate(self, loader: Iterable[dict[str, Any]], device: torch.device) -> dict[str, float]:
        """Student top-1/top-5, the teacher's top-1 and their agreement on the held-out set."""
        c1 = c5 = ct = agree = total = 0
        for batch in loader:
            x, y = batch["x"].to(device), batch["label"].to(device)
            student, teacher = self.logits(x).float(), self.teacher(x).float()
            top = student.topk(min(5, student.shape[1]), dim=1).indices
            c1 += int((top[:, 0] == y).sum())
            c5 += int((top == y[:, None]).any(1).sum())
            ct += int((teacher.argmax(1) == y).sum())
            agree += int((teacher.argmax(1) == top[:, 0]).sum())
            total += len(y)
        n = max(total, 1)
        return {"top1": c1 / n, "top5": c5 / n, "teacher_top1": ct / n, "agreement": agree / n}


def build(cfg: DistillConfig) -> tuple[ASMaDistill, SkeletonDataset, SkeletonDataset]:
    """The method and its train / test sets, on the teacher run's store, split and views."""
    teacher, teacher_config = load_teacher(cfg.teacher)
    tcfg = from_dict(asma.ASMaConfig, teacher_config)
    cfg.data = replace(cfg.data, store=tcfg.data.store, protocol=tcfg.data.protocol, stream=tcfg.data.stream,
                       frames=tcfg.data.frames)  # fmt: skip
    recipe = asma.encoder_recipe(teacher_config, "theta")
    sets = [recipe.dataset(Path(cfg.data.store), cfg.data.protocol, part, train=train, seed=cfg.run.seed)
            for part, train in ((cfg.data.train_part, True), (cfg.data.test_part, False))]
    classes = teacher.alignment.head.fc.out_features
    if classes != sets[0].num_classes:
        raise ValueError(f"the teacher's classifier has {classes} classes, the store {sets[0].num_classes}")
    torch.manual_seed(cfg.run.seed)
    max_bodies = int(open_store(cfg.data.store).attrs["max_bodies"])
    student = build_backbone(cfg.model.backbone, sets[0].layout, max_bodies=max_bodies)
    return ASMaDistill(teacher, student, sets[0].num_classes, cfg.model), sets[0], sets[1]


def _preset(tau: float, epochs: int = 150, batch: int = 128, workers: int = 4) -> DistillConfig:
    return DistillConfig(
        data=DataConfig(batch_size=batch, workers=workers),
        model=StudentConfig(tau=tau),
        optim=OptimConfig(name="adam", lr=1e-2, weight_decay=1e-5, schedule="cosine"),
        run=RunConfig(epochs=epochs, eval_every=10, log_every=50),
    )


#: Named presets (section 4: 150 epochs, lr 1e-2; tau from section 5.5: 8 or 9 on NTU-60,
#: 9 best on x-view, 6 on NTU-120 x-sub).
PRESETS: dict[str, Callable[[], DistillConfig]] = {
    "ntu60-xsub": lambda: _preset(8.0),
    "ntu60-xview": lambda: _preset(9.0),
    "ntu120-xsub": lambda: _preset(6.0),
    "nwucla-xview-cpu": lambda: _preset(8.0, epochs=30, batch=64, workers=2),
}
