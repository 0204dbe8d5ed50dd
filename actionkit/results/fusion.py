"""Weighted score fusion of several evaluations (streams, modalities, seeds), matched by sample name.

The fused score of a sample is ``sum_i w_i * softmax(s_i) / sum_i w_i`` (probabilities are taken as
they are; see :meth:`Scores.probabilities`). Inputs are aligned on sample names, never
on order, and must hold the same samples with the same labels and classes.

The usual recipes (:data:`RECIPES`):

- ``2s``: joint + bone, equal weights (2s-AGCN);
- ``3s``: joint, motion, bone, equal weights (3s-CrosSCLR / CMD / ASMa's three streams);
- ``4s``: CTR-GCN's joint, bone, joint motion, bone motion with 0.6, 0.6, 0.4, 0.4.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from actionkit.results.scores import Scores


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A fusion recipe: the inputs' streams, in the order they are given, and their weights."""

    streams: tuple[str, ...]
    weights: tuple[float, ...]
    source: str


RECIPES: dict[str, Recipe] = {
    "2s": Recipe(("joint", "bone"), (1.0, 1.0), "2s-AGCN: joint + bone"),
    "3s": Recipe(("joint", "motion", "bone"), (1.0, 1.0, 1.0), "3s-CrosSCLR, CMD, ASMa: joint, motion, bone"),
    "4s": Recipe(("joint", "bone", "joint motion", "bone motion"), (0.6, 0.6, 0.4, 0.4),
                 "CTR-GCN: joint, bone, joint motion, bone motion"),
}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; recipes: {', '.join(RECIPES)}") from None


def align(inputs: Sequence[Scores], labels: Sequence[str] | None = None) -> list[Scores]:
    """The inputs reordered to the first input's sample order.

    Args:
        inputs: Two or more score sets.
        labels: A label per input for messages (default ``input 1``, ``input 2``, ...).

    Raises:
        ValueError: the sample sets differ (names the first sample missing and where), a
            sample's label differs between inputs, or the class lists differ.
    """
    labels = list(labels or [f"input {i + 1}" for i in range(len(inputs))])
    ref = inputs[0]
    out = [ref]
    for other, tag in zip(inputs[1:], labels[1:]):
        if other.classes != ref.classes:
            raise ValueError(f"{tag} has {len(other.classes)} classes {other.classes[:3]}..., {labels[0]} has "
                             f"{len(ref.classes)} {ref.classes[:3]}...: scores of different class lists")
        position = {n: i for i, n in enumerate(other.names.tolist())}
        for name in ref.names.tolist():
            if name not in position:
                raise ValueError(f"sample {name!r} of {labels[0]} is missing from {tag} "
                                 f"({len(ref)} vs {len(other)} samples); fuse evaluations of the same test set")
        if len(other) != len(ref):
            extra = next(n for n in other.names.tolist() if n not in set(ref.names.tolist()))
            raise ValueError(f"sample {extra!r} of {tag} is missing from {labels[0]} "
                             f"({len(ref)} vs {len(other)} samples); fuse evaluations of the same test set")
        order = np.array([position[n] for n in ref.names.tolist()], dtype=np.int64)
        moved = Scores(other.names[order], other.labels[order], other.scores[order], other.classes, other.kind)
        bad = np.flatnonzero(moved.labels != ref.labels)
        if len(bad):
            i = int(bad[0])
            raise ValueError(f"sample {str(ref.names[i])!r} has label {ref.labels[i]} in {labels[0]} but "
                             f"{moved.labels[i]} in {tag}")
        out.append(moved)
    return out


def fuse(inputs: Sequence[Scores], weights: Sequence[float] | None = None,
         labels: Sequence[str] | None = None) -> Scores:
    """Weighted sum of the inputs' probabilities, in the first input's sample order.

    Args:
        inputs: Two or more score sets of the same samples (any order).
        weights: One per input (default: all 1).
        labels: Names of the inputs for messages.

    Returns:
        ``Scores`` of kind ``probabilities``: ``sum_i w_i p_i / sum_i w_i`` (rows sum to 1).

    Raises:
        ValueError: fewer than two inputs, a weight count that differs, a negative or all-zero
            weight, or sample sets that differ (see :func:`align`).
    """
    if len(inputs) < 2:
        raise ValueError(f"fusion needs two or more inputs, got {len(inputs)}")
    weights = [1.0] * len(inputs) if weights is None else [float(w) for w in weights]
    if len(weights) != len(inputs):
        raise ValueError(f"{len(weights)} weights for {len(inputs)} inputs; give one weight per input")
    if any(w < 0 for w in weights) or not any(weights):
        raise ValueError(f"weights {weights}: must be non-negative and not all zero")
    aligned = align(inputs, labels)
    fused = sum(w * s.probabilities() for w, s in zip(weights, aligned)) / sum(weights)
    ref = aligned[0]
    return Scores(ref.names, ref.labels, fused.astype(np.float32), ref.classes, "probabilities")
