"""Per-sample class scores of an evaluation, and the ``.npz`` file they are kept in.

Every evaluation writes, next to its results JSON, a ``.npz`` that plain NumPy reads
(``np.load(path)``, no pickle, no actionkit; the format is in ``docs/scores.md``):

- ``names``: ``(N,)`` unicode, the store's sample names (what fusion matches on);
- ``labels``: ``(N,)`` int64 ground-truth class indices;
- ``scores``: ``(N, K)`` float32 class scores;
- ``classes``: ``(K,)`` unicode class names;
- ``kind``: 0-d unicode, what ``scores`` holds: ``logits`` (a classifier's output),
  ``probabilities`` (rows sum to 1, e.g. view-averaged softmax) or ``similarities``
  (kNN: each class's highest cosine similarity to a training sample);
- ``format``: 0-d unicode, ``actionkit-scores/1``.
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "actionkit-scores/1"
KINDS = ("logits", "probabilities", "similarities")
#: Temperature that turns kNN cosine similarities (in [-1, 1]) into probabilities.
SIMILARITY_TEMPERATURE = 0.1


@dataclasses.dataclass
class Scores:
    """Class scores of N evaluated samples.

    Attributes:
        names: ``(N,)`` sample names.
        labels: ``(N,)`` int64 class indices.
        scores: ``(N, K)`` float32.
        classes: ``K`` class names.
        kind: One of :data:`KINDS`.
    """

    names: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    classes: tuple[str, ...]
    kind: str = "logits"

    def __post_init__(self) -> None:
        # the store's StringDType names become fixed-width unicode (what np.load reads without pickle)
        self.names = np.array([str(n) for n in np.asarray(self.names).tolist()], dtype=str).reshape(-1)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.scores = np.asarray(self.scores, dtype=np.float32)
        self.classes = tuple(str(c) for c in self.classes)
        if self.kind not in KINDS:
            raise ValueError(f"unknown score kind {self.kind!r}; valid: {', '.join(KINDS)}")
        n = len(self.names)
        if self.scores.ndim != 2 or len(self.scores) != n or len(self.labels) != n:
            raise ValueError(f"scores {self.scores.shape}, {len(self.labels)} labels and {n} names do not match")
        if self.scores.shape[1] != len(self.classes):
            raise ValueError(f"{self.scores.shape[1]} score columns but {len(self.classes)} class names")
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise ValueError(f"labels outside 0..{len(self.classes) - 1}")
        if len(set(self.names.tolist())) != n:
            raise ValueError("sample names repeat; scores are matched by name and must name each sample once")

    def __len__(self) -> int:
        return len(self.names)

    def probabilities(self) -> np.ndarray:
        """``(N, K)`` float64 rows summing to 1: softmax of logits (and of similarities / 0.1)."""
        s = self.scores.astype(np.float64)
        if self.kind == "probabilities":
            return s
        if self.kind == "similarities":
            s = s / SIMILARITY_TEMPERATURE
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        return e / e.sum(axis=1, keepdims=True)


def save_scores(scores: Scores, path: str | Path) -> Path:
    """Write ``scores`` as an uncompressed ``.npz`` (atomically: a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, names=scores.names, labels=scores.labels, scores=scores.scores,
             classes=np.asarray(scores.classes, dtype=str), kind=np.asarray(scores.kind),
             format=np.asarray(FORMAT))  # fmt: skip
    tmp.replace(path)
    return path


def load_scores(path: str | Path) -> Scores:
    """Read a scores file.

    Raises:
        ValueError: not a scores file of this format (names the path and what is missing).
        FileNotFoundError: no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such scores file")
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable .npz of scores ({exc})") from None
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: a single array, not an .npz of scores")
    with f:
        missing = [k for k in ("names", "labels", "scores", "classes", "kind", "format") if k not in f.files]
        if missing:
            raise ValueError(f"{path}: not an actionkit scores file (no {', '.join(missing)})")
        if str(f["format"]) != FORMAT:
            raise ValueError(f"{path}: scores format {str(f['format'])!r}; this version reads {FORMAT}")
        return Scores(f["names"], f["labels"], f["scores"], tuple(f["classes"].tolist()), str(f["kind"]))


def scores_path(results_json: str | Path) -> Path:
    """The scores file beside a results file: ``results/linear.json`` -> ``results/linear.scores.npz``."""
    p = Path(results_json)
    return p.with_name(p.stem + ".scores.npz")


def find_scores(run_or_file: str | Path) -> Path:
    """The scores file of a run folder, or the file itself.

    A run's own end-of-training test (``RUN/scores.npz``) comes first; otherwise the one
    ``RUN/results/*.scores.npz`` there is.

    Raises:
        FileNotFoundError: none found, or several and none is the run's own (lists them: pass one).
    """
    p = Path(run_or_file)
    if p.is_file():
        return p
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: neither a run folder nor a scores file")
    if (p / "scores.npz").is_file():
        return p / "scores.npz"
    found = sorted((p / "results").glob("*.scores.npz"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise FileNotFoundError(f"{p}: no per-sample scores (no scores.npz, no results/*.scores.npz); "
                                f"evaluate the run first, e.g. actionkit eval test {p}")
    raise FileNotFoundError(f"{p}: several scores files; pass one of: {', '.join(str(f) for f in found)}")


def scores_of_dataset(dataset, items: np.ndarray, labels: np.ndarray, scores: np.ndarray,
                      kind: str = "logits") -> Scores:
    """``Scores`` of evaluated items of a dataset, named by the store's sample names.

    Args:
        dataset: A :class:`~actionkit.data.SkeletonDataset` (``items`` are its item
            indices, mapped to store samples by ``sample_ids``) or a video dataset with a
            ``store`` (``items`` are store sample indices, as its batches' ``index``).
        items: ``(N,)`` the batches' ``index`` entries, in evaluation order.
        labels: ``(N,)`` class indices.
        scores: ``(N, K)`` class scores.
        kind: One of :data:`KINDS`.
    """
    from actionkit import open_store

    store = getattr(dataset, "store", None) or open_store(dataset.path)
    items = np.asarray(items, dtype=np.int64)
    ids = np.asarray(dataset.sample_ids)[items] if hasattr(dataset, "sample_ids") else items
    names = np.asarray(store.samples["name"])[ids]
    return Scores(names, labels, scores, tuple(store.classes), kind)
