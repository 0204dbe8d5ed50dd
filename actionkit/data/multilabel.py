"""Several labels per sample (Charades-style multi-label datasets), kept in a store's sample fields.

A store's sample fields are integers, one per sample. A multi-label store adds the id
fields ``labels_0 .. labels_{W-1}``: bit ``c % 63`` of word ``c // 63`` is set when class
``c`` applies (63 bits a word, so every word is a non-negative int64). ``label`` keeps one
of the sample's classes (the smallest), so single-label readers still work. A source
declares the words in its ``id_fields`` and fills them with :func:`label_words`
(docs/store.md, "Multi-label stores").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["WORD_BITS", "word_fields", "label_words", "is_multilabel", "multi_hot"]

#: Classes per sample-field word.
WORD_BITS = 63


def word_fields(num_classes: int) -> tuple[str, ...]:
    """The sample fields of a ``num_classes`` multi-label store: ``labels_0`` ...."""
    if num_classes < 1:
        raise ValueError(f"a multi-label store needs at least one class, got {num_classes}")
    return tuple(f"labels_{w}" for w in range((num_classes + WORD_BITS - 1) // WORD_BITS))


def label_words(labels: Iterable[int], num_classes: int) -> dict[str, int]:
    """The sample fields holding a sample's classes.

    Raises:
        ValueError: no class, or one outside ``0 .. num_classes - 1``.
    """
    words = dict.fromkeys(word_fields(num_classes), 0)
    classes = sorted({int(c) for c in labels})
    if not classes:
        raise ValueError("a sample of a multi-label store needs at least one class")
    if classes[0] < 0 or classes[-1] >= num_classes:
        raise ValueError(f"classes {classes} outside 0..{num_classes - 1}")
    for c in classes:
        words[f"labels_{c // WORD_BITS}"] |= 1 << (c % WORD_BITS)
    return words


def is_multilabel(samples: Mapping[str, np.ndarray]) -> bool:
    """Whether a store's sample fields hold several labels per sample."""
    return "labels_0" in samples


def multi_hot(samples: Mapping[str, np.ndarray], index: int, num_classes: int) -> np.ndarray:
    """float32 ``[num_classes]``: 1 for each class of sample ``index``.

    Raises:
        KeyError: the store has no multi-label fields (says what it needs).
    """
    if not is_multilabel(samples):
        raise KeyError("the store has one label per sample (no labels_0 field); a multi-label store keeps "
                       "several in labels_0.. (docs/store.md, 'Multi-label stores')")
    out = np.zeros(num_classes, dtype=np.float32)
    for name in word_fields(num_classes):
        word, base = int(samples[name][index]), int(name.split("_")[1]) * WORD_BITS
        for bit in range(WORD_BITS):
            if word >> bit & 1 and base + bit < num_classes:
                out[base + bit] = 1.0
    return out
