"""Cross-model pseudo-labelling (CMPL eq. 2-6, Table A1) and FixMatch on unlabelled videos.

Each model predicts class probabilities on a weakly augmented clip, ``p^F`` (primary) and
``p^A`` (auxiliary). A scheme turns them into a pseudo-label source per model, ``l_F`` and
``l_A``; where ``max(l) >= tau`` the argmax becomes that model's target on its strongly
augmented clip, with cross-entropy averaged over all B_u unlabelled clips (eq. 4-5):

================  ==========================================================
scheme            sources
================  ==========================================================
``cross``         ``l_F = p^A``, ``l_A = p^F`` (CMPL: each model from the other)
``fixmatch``      ``l_F = p^F``, ``l_A = p^A`` (each model from itself, eq. 1)
``self-first``    own prediction when confident, else the other's
``opposite-first`` the other's when confident, else its own
``maximum``       both from the more confident of the two
``average``       both from ``(p^F + p^A) / 2``
================  ==========================================================

Pseudo-labels carry no gradient (the "SG" of Fig. 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["SCHEMES", "PseudoLabels", "pseudo_label_sources", "pseudo_labels", "masked_cross_entropy"]

SCHEMES = ("cross", "fixmatch", "self-first", "opposite-first", "maximum", "average")


@dataclass
class PseudoLabels:
    """Targets of one model on a batch of unlabelled clips.

    Attributes:
        targets: ``[B_u]`` argmax of the model's source.
        mask: ``[B_u]`` float, 1 where the source's maximum reaches tau.
        confidence: ``[B_u]`` that maximum.
    """

    targets: torch.Tensor
    mask: torch.Tensor
    confidence: torch.Tensor


def _confident(p: torch.Tensor, tau: float) -> torch.Tensor:
    return (p.max(dim=1).values >= tau).unsqueeze(1)


def pseudo_label_sources(p_f: torch.Tensor, p_a: torch.Tensor | None, scheme: str, tau: float
                         ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(l_F, l_A)`` of Table A1 from the weak-view probabilities ``[B_u, K]`` (``p_a`` None: FixMatch alone)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    if p_a is None:
        if scheme != "fixmatch":
            raise ValueError(f"scheme {scheme!r} needs the auxiliary network's predictions")
        return p_f, None
    if scheme == "cross":
        return p_a, p_f
    if scheme == "fixmatch":
        return p_f, p_a
    if scheme == "self-first":
        return torch.where(_confident(p_f, tau), p_f, p_a), torch.where(_confident(p_a, tau), p_a, p_f)
    if scheme == "opposite-first":
        return torch.where(_confident(p_a, tau), p_a, p_f), torch.where(_confident(p_f, tau), p_f, p_a)
    if scheme == "maximum":
        both = torch.where((p_f.max(dim=1).values >= p_a.max(dim=1).values).unsqueeze(1), p_f, p_a)
        return both, both
    both = (p_f + p_a) / 2
    return both, both


def pseudo_labels(source: torch.Tensor, tau: float) -> PseudoLabels:
    """Argmax targets and the confidence mask of one source ``[B_u, K]`` (no gradient)."""
    source = source.detach()
    confidence, targets = source.max(dim=1)
    return PseudoLabels(targets, (confidence >= tau).float(), confidence)


def masked_cross_entropy(logits: torch.Tensor, labels: PseudoLabels) -> torch.Tensor:
    """``(1 / B_u) sum_i mask_i CE(target_i, logits_i)`` (eq. 4-5)."""
    ce = F.cross_entropy(logits.float(), labels.targets, reduction="none")
    return (ce * labels.mask).sum() / max(len(ce), 1)
