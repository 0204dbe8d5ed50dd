"""Tiny separable stores (skeletons, RGB-D clips) for the learning tests, their label-shuffled controls, the view rank.

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

import cv2
import numpy as np
import torch

from actionkit.prepare import prepare
from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.sources.ntu import NTUSource
from actionkit.sources.nwucla_video import NWUCLAVideoSource
from actionkit.synthetic import NTU60_XSUB_TRAIN_PERFORMERS, generate_ntu_dataset

#: Four one-person classes the synthetic generator animates very differently.
SKELETON_CLASSES = (8, 10, 24, 27)  # sitting down, clapping, kicking, jump up


def skeleton_raw(out: Path) -> Path:
    """4 classes x 12 samples (NTU-60 cross-subject: 24 train, 24 test), 30-40 frames, no sensor noise."""
    generate_ntu_dataset(out, samples_per_class=12, seed=1, classes=SKELETON_CLASSES, frames=(30, 40), noise=False)
    return out


def long_skeleton_raw(out: Path) -> Path:
    """All 14 synthetic classes x 4 samples (NTU-60 cross-subject: 28 train, 28 test), 100-140 frames, no noise.

    Longer than the ISC crop's 64-frame shortest window, so a sample's two I2MD views are
    different stretches of it (on 30-40-frame clips the window is the whole clip). Many
    classes with few samples each: an instance-discrimination objective then meets few
    negatives of the sample's own class, which at this size carry next to nothing that
    tells two samples apart once sheared.
    """
    generate_ntu_dataset(out, samples_per_class=4, seed=1, frames=(100, 140), noise=False)
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


#: Patch colour (RGB) and distance (mm) of each class of :func:`colour_videos`.
COLOURS = ((220, 40, 40), (40, 200, 40), (50, 60, 230), (230, 220, 40))
DEPTHS = (1200, 1700, 2200, 2700)


def colour_videos(
    root: Path, clips_per_view: int = 3, frames: int = 8, height: int = 32, width: int = 40, seed: int = 0
) -> Path:
    """4 classes x 3 views x ``clips_per_view`` clips in the NW-UCLA RGB-D layout, separable in every frame.

    A class is a patch's colour in RGB and its distance in depth (:data:`COLOURS`, :data:`DEPTHS`);
    the patch's size, place (over the frame's centre) and drift, the background and the noise
    are drawn per clip.

    Returns:
        The ``multiview_action`` folder.
    """
    base = root / "multiview_action"
    rng = np.random.default_rng(seed)
    for view in (1, 2, 3):
        for label in range(4):
            for subject in range(1, clips_per_view + 1):
                folder = base / f"view_{view}" / f"a{label + 1:02d}_s{subject:02d}_e00"
                folder.mkdir(parents=True)
                size = int(rng.integers(12, 18))
                # the patch covers the frame's central 8 x 8 pixels: every crop a trainer takes sees it
                y = rng.uniform(height // 2 + 4 - size, height // 2 - 4)
                x = rng.uniform(width // 2 + 4 - size, width // 2 - 4)
                dy, dx = rng.uniform(-0.5, 0.5, size=2)
                background = rng.uniform(20, 80, size=3)
                for n in range(frames):
                    top = int(np.clip(y + dy * n, 0, height - size))
                    left = int(np.clip(x + dx * n, 0, width - size))
                    rgb = np.broadcast_to(background, (height, width, 3)).copy()
                    rgb[top : top + size, left : left + size] = COLOURS[label]
                    rgb += rng.normal(0, 8, size=rgb.shape)
                    depth = np.full((height, width), 3500.0)
                    depth[top : top + size, left : left + size] = DEPTHS[label]
                    depth += rng.normal(0, 20, size=depth.shape)
                    cv2.imwrite(
                        str(folder / f"frame_{n}_tc_{1000 + 83 * n}_rgb.jpg"),
                        cv2.cvtColor(np.clip(rgb, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR),
                    )
                    cv2.imwrite(str(folder / f"frame_{n}_tc_{1011 + 83 * n}_depth.png"), depth.astype(np.uint16))
    return base


def shuffle_video_labels(raw: Path, out: Path, seed: int = 0) -> Path:
    """A copy of a ``multiview_action`` folder whose training views' (1 and 2) clips carry permuted labels.

    The clips are renumbered (subjects 1, 2, ... per view) so that no two share a name; the
    cross-view split depends only on the view.
    """
    clips = sorted(p for p in raw.glob("view_[12]/a*_s*_e*"))
    labels = [p.name[1:3] for p in clips]
    perm = np.random.default_rng(seed).permutation(len(clips))
    shutil.copytree(raw / "view_3", out / "view_3")
    for n, (clip, j) in enumerate(zip(clips, perm)):
        shutil.copytree(clip, out / clip.parent.name / f"a{labels[j]}_s{n + 1:02d}_e00")
    return out


def prepare_videos(raw: Path, store: Path, streams: tuple[str, ...] = ("rgb", "depth")) -> Path:
    """The clips at their own size (no flow by default: its TV-L1 pass is the slow part of preparation)."""
    prepare_video(NWUCLAVideoSource([raw]), store, streams=streams, settings=VideoSettings(short_side=32), workers=1)
    return store


def view_rank(encode, first: torch.Tensor, second: torch.Tensor) -> float:
    """How many other samples' second views are closer (cosine) to a sample's first view than its own second view.

    Averaged over the samples: 0 when the embedding identifies each sample across its two
    views, about ``(n - 1) / 2`` when it carries nothing of the sample. A tie counts half,
    so that an embedding collapsed onto one point ranks at chance, not 0.

    Args:
        encode: ``[n, ...]`` views -> ``[n, D]`` embeddings.
        first, second: Two views of the same ``n`` samples, in the same order.
    """
    with torch.no_grad():
        a = torch.nn.functional.normalize(encode(first).float(), dim=1)
        b = torch.nn.functional.normalize(encode(second).float(), dim=1)
    sims = a @ b.T
    own = sims.diag()[:, None]
    ties = (sims == own).sum(1) - 1
    return float(((sims > own).sum(1) + 0.5 * ties).float().mean())
