"""Losses as pure functions of tensors (the methods own their state and modules).

- :mod:`actionkit.losses.contrastive`: InfoNCE against a queue (MoCo v2);
- :mod:`actionkit.losses.distillation`: I2MD's mutual distillation, and ASMa-Distill's
  temperature-scaled logit distillation from a frozen teacher;
- :mod:`actionkit.losses.barlow`: Barlow Twins, with DDP-global batch statistics (ASMa pretraining);
- :mod:`actionkit.losses.mcl`: multiple choice learning over modality networks (DMCL and its baselines).
"""

from __future__ import annotations

from actionkit.extras import require

require("torch", "train")  # before any submodule imports it: a missing torch is one line naming the extra

from actionkit.losses.barlow import asma_encoder_loss, barlow_twins, cross_correlation
from actionkit.losses.contrastive import info_nce, queue_logits
from actionkit.losses.distillation import distill, knowledge_distillation, mutual_distillation
from actionkit.losses.mcl import MCLLoss, mcl_loss

__all__ = [
    "asma_encoder_loss",
    "barlow_twins",
    "cross_correlation",
    "distill",
    "info_nce",
    "knowledge_distillation",
    "MCLLoss",
    "mcl_loss",
    "mutual_distillation",
    "queue_logits",
]
