"""Losses as pure functions of tensors (the methods own their state and modules).

- :mod:`actionkit.losses.contrastive`: InfoNCE against a queue (MoCo v2);
- :mod:`actionkit.losses.distillation`: I2MD's mutual distillation.
"""

from __future__ import annotations

from actionkit.losses.contrastive import info_nce, queue_logits
from actionkit.losses.distillation import distill, mutual_distillation

__all__ = ["distill", "info_nce", "mutual_distillation", "queue_logits"]
