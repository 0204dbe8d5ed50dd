"""A tiny separable skeleton store for the learning tests, its label-shuffled control, and the view rank.

The store is generated (``actionkit.synthetic``) and prepared through the genuine path.
Its shuffled control is the same raw data with the training side's labels permuted
among its files (by renaming them), so a method trained on it sees the same inputs
with labels that carry nothing: it must stay near chance on the (true) test side.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import NTU60_XSUB_TRAIN_PERFORMERS, generate_ntu_dataset

#: Four one-person classes the synthetic generator animates very differently.
SKELETON_CLASSES = (8, 10, 24, 27)  # sitting down, clapping, kicking, jump up


def skeleton_raw(out: Path) -> Path:
    """4 classes x 12 samples (NTU-60 cross-subject: 24 train, 24 test), 30-40 frames, no sensor noise."""
    generate_ntu_dataset(out, samples_per_class=12, seed=1, classes=SKELETON_CLASSES, frames=(30, 40), noise=False)
    return out


def shuffle_skeleton_labels(raw: Path, out: Path, seed: int = 0) -> Path:
    """A copy of ``raw`` whose cross-subject training files carry a seeded permutation of their labels."""
    out.mkdir(parents=True)
    files = sorted(raw.glob("*.skeleton"))
    train = [f for f in files if int(f.name[9:12]) in NTU60_XSUB_TRAIN_PERFORMERS]
    labels = [f.name[16:20] for f in train]
    perm = np.random.default_rng(seed).permutation(len(train))
    renamed = {f: f.name[:16] + labels[j] + f.name[20:] for f, j in zip(train, perm)}
    assert len(set(renamed.values())) == len(renamed), "a shuffled name collides; choose another seed"
    for f in files:
        shutil.copyfile(f, out / renamed.get(f, f.name))
    return out


def prepare_skeletons(raw: Path, store: Path) -> Path:
    prepare(NTUSource([raw], "ntu60"), store, workers=1, streams=("joint",))
    return store


@contextmanager
def one_thread() -> Iterator[None]:
    """One intra-op thread: CPU results then do not depend on the machine's core count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def view_rank(encode, first: torch.Tensor, second: torch.Tensor) -> float:
    """How many other samples' second views are closer (cosine) to a sample's first view than its own second view.

    Averaged over the samples: 0 when the embedding identifies each sample across its two
    views, about ``(n - 1) / 2`` when it carries nothing of the sample.

    Args:
        encode: ``[n, ...]`` views -> ``[n, D]`` embeddings.
        first, second: Two views of the same ``n`` samples, in the same order.
    """
    with torch.no_grad():
        a = torch.nn.functional.normalize(encode(first).float(), dim=1)
        b = torch.nn.functional.normalize(encode(second).float(), dim=1)
    sims = a @ b.T
    return float((sims > sims.diag()[:, None]).sum(1).float().mean())
