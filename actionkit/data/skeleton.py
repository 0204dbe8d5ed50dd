"""A torch dataset over a skeleton store's split, held in memory.

The stream is read once (``Store.load_stream``: one fast call) into a numpy array;
forked DataLoader workers share it copy-on-write, and no item touches Zarr. An item is::

    {"x": float32 tensor [C, T, V, M], "label": int, "index": int}
    # plus "motion" and/or "bone" (same shape) when streams_out asks for them

``index`` is the item's position in this dataset (``0 .. len - 1``). With a multi-view
transform (one returning a list, e.g. :class:`actionkit.data.MultiView`), ``"x"``,
``"motion"`` and ``"bone"`` are lists of ``n`` tensors, view ``k`` at position ``k``;
torch's default collate turns them into lists of ``[B, C, T, V, M]`` batches.
Give loaders ``collate_fn=actionkit.data.collate``: with a batchable transform (the CMD
views) the dataset's ``__getitems__`` builds the whole batch at once and ``collate``
hands it over without a copy; it falls back to ``default_collate`` otherwise.
Motion and bone are computed from each view's augmented joints
(:func:`actionkit.kernels.streams.motion` / ``bone``), after the transform.

Augmentation is reproducible: item ``i`` of epoch ``e`` uses the generator
``np.random.default_rng([seed, e, sample])`` (``sample`` its index in the store), so a
resumed run, any number of workers and any batch order see the same views. Call
:meth:`SkeletonDataset.set_epoch` before each epoch; the epoch lives in shared memory,
so persistent workers see it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, default_collate

from actionkit.kernels.streams import bone, motion, streams_channels_first
from actionkit.layouts import Layout
from actionkit.store.errors import DamagedStoreError
from actionkit.store.manifest import checks_enabled
from actionkit.store.reader import Store, open_store

__all__ = ["SkeletonDataset", "CollatedItems", "collate", "STREAMS_OUT"]

#: What ``streams_out`` may hold: ``joint`` (the ``"x"`` key) and the derived streams.
STREAMS_OUT = ("joint", "motion", "bone")


def _to_tensor(x: np.ndarray) -> torch.Tensor:
    """``[T, M, V, C]`` numpy -> an owned float32 tensor ``[C, T, V, M]``."""
    arr = np.ascontiguousarray(np.asarray(x, dtype=np.float32).transpose(3, 0, 2, 1))
    if not arr.flags.owndata:  # a view of the shared stream: never hand it out
        arr = arr.copy()
    return torch.from_numpy(arr)


def check_finite(store: Store, stream: str, data: np.ndarray, block: int = 1 << 16) -> None:
    """Raise if a loaded stream holds NaN or infinity, naming the first sample and frame.

    ``prepare`` never stores non-finite values, so one means the store was modified.
    Cost: one float32 sum per block of ``block`` frames (an exact search only on a hit).

    Raises:
        DamagedStoreError: naming the store, stream, sample and frame.
    """
    for lo in range(0, len(data), block):
        part = data[lo:lo + block]
        if np.isfinite(part.sum(dtype=np.float32)):
            continue
        bad = ~np.isfinite(part.reshape(len(part), -1)).all(axis=1)
        if not bad.any():  # a finite block whose sum overflowed
            continue
        row = lo + int(np.flatnonzero(bad)[0])
        start = np.asarray(store.samples["start"], dtype=np.int64)
        i = int(np.searchsorted(start, row, "right")) - 1
        raise DamagedStoreError(
            f"{store.path}: stream {stream} of sample {i} ({store.samples['name'][i]}) holds a non-finite value at "
            f"frame {row - int(start[i])}; prepare never stores one, so the store was modified: run `actionkit "
            f"verify {store.path}`, then prepare it again (--overwrite)")


class SkeletonDataset(Dataset):
    """Samples of one split of a skeleton store, as torch tensors.

    Args:
        store: A store path or an open :class:`~actionkit.store.reader.Store`.
        split: ``(protocol, part)``, e.g. ``("xsub", "train")``; None for all samples.
        stream: The stored stream to read (``joint``, or a stored ``motion``/``bone``).
        transform: ``t(x [T, M, V, C], rng) -> array`` or a list of arrays (views).
        streams_out: Which of ``joint`` (``"x"``), ``motion``, ``bone`` to emit; motion
            and bone are derived from the transformed joints (needs ``stream="joint"``).
        seed: Base seed of the per-item generators.
        pre_transform: A deterministic transform applied once per sample when the
            dataset is built (e.g. ``Normalize("agcn")``), instead of once per epoch.
            With ``stream`` ``motion`` or ``bone`` it normalises the joints, and the
            stream is derived from them (every store holds its joint stream).

    Raises:
        ValueError: The store is not a skeleton store, the split or stream does not
            exist, or ``streams_out`` is invalid.
    """

    def __init__(
        self,
        store: str | Path | Store,
        split: tuple[str, str] | None,
        stream: str = "joint",
        transform: Callable | None = None,
        streams_out: Sequence[str] = ("joint",),
        seed: int = 0,
        pre_transform: Callable | None = None,
    ):
        st = store if isinstance(store, Store) else open_store(store)
        kind = st.attrs.get("kind")
        if kind != "skeleton":
            raise ValueError(f"{st.path}: a {kind!r} store; SkeletonDataset reads skeleton stores only")
        if stream not in st.stream_names:
            raise ValueError(f"{st.path}: no stream {stream!r}; streams: {', '.join(st.stream_names)}")
        streams_out = tuple(streams_out)
        bad = [s for s in streams_out if s not in STREAMS_OUT]
        if bad:
            raise ValueError(f"unknown output stream(s) {bad}; valid: {', '.join(STREAMS_OUT)}")
        if stream != "joint" and set(streams_out) - {"joint"}:
            raise ValueError(f"motion/bone are derived from joints; cannot derive them from stream {stream!r}")
        self.path = st.path
        self.stream = stream
        self.transform = transform
        self.streams_out = streams_out
        self.seed = int(seed)
        self._layout = st.layout
        self._parents = np.asarray(self._layout.parents, dtype=np.int64)
        self._num_classes = len(st.classes)
        self._ids = np.asarray(self._split_indices(st, split), dtype=np.int64)
        self.split = split
        self._labels = np.asarray(st.samples["label"], dtype=np.int64)[self._ids]
        self._starts = np.asarray(st.samples["start"], dtype=np.int64)[self._ids]
        self._frames = np.asarray(st.samples["frames"], dtype=np.int64)[self._ids]
        # A normalisation is defined on joints: a motion or bone stream is derived from the
        # normalised joints (as 2s-AGCN derives them from its normalised data), never
        # normalised itself (that would subtract the centre joint's motion and loop the
        # empty last motion frame).
        derive = stream if pre_transform is not None and stream in ("motion", "bone") else None
        self._data = st.load_stream("joint" if derive else stream)
        self._names = np.asarray(st.samples["name"])[self._ids]
        if checks_enabled():  # before any normalisation could turn a NaN into numbers
            check_finite(st, "joint" if derive else stream, self._data)
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._epoch_np = self._epoch.numpy()
        if pre_transform is not None:
            self._apply_pre_transform(pre_transform, derive)

    @staticmethod
    def _split_indices(st: Store, split: tuple[str, str] | None) -> np.ndarray:
        if split is None:
            return np.arange(len(st))
        if len(split) != 2:
            raise ValueError(f"split must be (protocol, part), got {split!r}")
        protocol, part = split
        if protocol not in st.splits or part not in st.splits[protocol]:
            have = ", ".join(f"{p}/{q}" for p, parts in st.splits.items() for q in parts) or "none"
            raise ValueError(f"{st.path}: no split {protocol}/{part}; available splits: {have}")
        return st.splits[protocol][part]

    def _apply_pre_transform(self, fn: Callable, derive: str | None = None) -> None:
        rng = np.random.default_rng(self.seed)
        parts = [np.asarray(fn(self._data[s : s + n], rng), dtype=np.float32)
                 for s, n in zip(self._starts, self._frames)]  # fmt: skip
        if derive == "motion":
            parts = [motion(x) for x in parts]
        elif derive == "bone":
            parts = [bone(x, self._parents) for x in parts]
        self._frames = np.array([len(p) for p in parts], dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(self._frames)[:-1]]).astype(np.int64)
        shape = self._data.shape[1:]
        self._data = np.concatenate(parts) if parts else np.zeros((0, *shape), np.float32)

    # ---------------------------------------------------------------- metadata
    @property
    def num_classes(self) -> int:
        return self._num_classes

    @property
    def layout(self) -> Layout:
        return self._layout

    @property
    def labels(self) -> np.ndarray:
        """``[len]`` int64 labels, in item order."""
        return self._labels

    @property
    def sample_ids(self) -> np.ndarray:
        """``[len]`` the items' sample indices in the store."""
        return self._ids

    @property
    def frames(self) -> np.ndarray:
        """``[len]`` frame count of each item before any transform."""
        return self._frames

    def item_names(self, positions: Sequence[int]) -> list[str]:
        """The sample names of items (positions in this dataset)."""
        return [str(self._names[int(p)]) for p in positions]

    @property
    def epoch(self) -> int:
        return int(self._epoch_np[0])

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch that seeds the augmentation (seen by every worker)."""
        self._epoch_np[0] = int(epoch)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_epoch_np"]  # rebuilt on the (shared) tensor, which pickles by handle
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._epoch_np = self._epoch.numpy()

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return (f"SkeletonDataset({str(self.path)!r}, split={self.split!r}, stream={self.stream!r}, "
                f"items={len(self)}, transform={self.transform!r}, streams_out={self.streams_out})")  # fmt: skip

    def subset(self, indices: Sequence[int] | np.ndarray) -> SkeletonDataset:
        """A dataset of some of this one's items (positions), sharing the loaded stream.

        Used for semi-supervised fractions; the items keep their generators (seeded by
        their store index) and are renumbered ``0 .. len(indices) - 1``.
        """
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"subset indices outside 0..{len(self) - 1}")
        new = object.__new__(SkeletonDataset)
        new.__dict__.update(self.__dict__)
        for name in ("_ids", "_labels", "_starts", "_frames", "_names"):
            setattr(new, name, getattr(self, name)[idx])
        return new

    # ---------------------------------------------------------------- items
    def rng(self, index: int, epoch: int | None = None) -> np.random.Generator:
        """The generator of item ``index`` (position) in ``epoch`` (default: current)."""
        e = self.epoch if epoch is None else int(epoch)
        return np.random.default_rng([self.seed, e, int(self._ids[index])])

    def raw(self, index: int) -> np.ndarray:
        """Item ``index``'s untransformed sample ``[T, M, V, C]`` (a read-only view)."""
        s, n = int(self._starts[index]), int(self._frames[index])
        view = self._data[s : s + n].view()
        view.flags.writeable = False
        return view

    def _streams(self, x: np.ndarray) -> dict[str, torch.Tensor]:
        out = {"x": _to_tensor(x)}
        if "motion" in self.streams_out:
            out["motion"] = torch.from_numpy(motion(x).transpose(3, 0, 2, 1).copy())
        if "bone" in self.streams_out:
            out["bone"] = torch.from_numpy(bone(x, self._parents).transpose(3, 0, 2, 1).copy())
        return out

    def _item(self, index: int, result: Any) -> dict[str, Any]:
        item: dict[str, Any] = {}
        if isinstance(result, (list, tuple)):
            views = [self._streams(v) for v in result]
            for key in views[0]:
                item[key] = [v[key] for v in views]
        else:
            item.update(self._streams(result))
        item["label"] = int(self._labels[index])
        item["index"] = int(index)
        return item

    def __getitem__(self, index: int) -> dict[str, Any]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"item {index} out of range for {n} items")
        index = int(index) % n
        x = self.raw(index)
        result = x if self.transform is None else self.transform(x, self.rng(index))
        return self._item(index, result)

    def __getitems__(self, indices: Sequence[int]) -> Sequence[dict[str, Any]]:
        """Items of a batch; vectorised when the transform has ``draw``/``apply_batch``.

        torch's DataLoader calls this with a batch's indices. The batched path makes
        each item's draws with its own generator, in the per-item order, so its items
        equal ``[self[i] for i in indices]`` (to float rounding). It returns a
        :class:`CollatedItems`: a sequence of the items for any ``collate_fn``, which
        :func:`collate` turns into the batch without copying.
        """
        t = self.transform
        batchable = getattr(t, "batchable", hasattr(t, "draw") and hasattr(t, "apply_batch"))
        if t is None or not batchable:
            return [self[i] for i in indices]
        n = len(self)
        idx = np.array([int(i) % n for i in indices], dtype=np.int64)
        num_joints = self._data.shape[2]
        params = [t.draw(int(self._frames[i]), num_joints, self.rng(int(i))) for i in idx]
        result = t.apply_batch(self._data, self._starts[idx], params)
        batch: dict[str, Any] = {}
        if isinstance(result, (list, tuple)):
            views = [self._batch_streams(v) for v in result]
            for key in views[0]:
                batch[key] = [v[key] for v in views]
        else:
            batch.update(self._batch_streams(result))
        batch["label"] = torch.from_numpy(self._labels[idx])
        batch["index"] = torch.from_numpy(idx)
        return CollatedItems(batch)

    def _batch_streams(self, x: np.ndarray) -> dict[str, torch.Tensor]:
        # x: [B, T, M, V, C] -> tensors [B, C, T, V, M] (shared memory inside a worker);
        # motion and bone from the augmented joints, per sample, in one pass.
        b, t, m, v, c = x.shape
        shape = (b, c, t, v, m)
        want_m, want_b = "motion" in self.streams_out, "bone" in self.streams_out
        joint = _empty(shape)
        mot = _empty(shape) if want_m else torch.empty((0,) * 5)
        bon = _empty(shape) if want_b else torch.empty((0,) * 5)
        streams_channels_first(np.ascontiguousarray(x, dtype=np.float32), self._parents,
                              joint.numpy(), mot.numpy(), bon.numpy(), want_m, want_b)  # fmt: skip
        out = {"x": joint}
        if want_m:
            out["motion"] = mot
        if want_b:
            out["bone"] = bon
        return out


def _empty(shape: tuple[int, ...]) -> torch.Tensor:
    """An uninitialised float32 tensor; in shared memory inside a DataLoader worker,
    as torch's own collate allocates it, so sending it to the main process is free."""
    if torch.utils.data.get_worker_info() is None:
        return torch.empty(shape, dtype=torch.float32)
    numel = int(np.prod(shape))
    proto = torch.empty(0, dtype=torch.float32)
    storage = proto._typed_storage()._new_shared(numel, device=proto.device)
    return proto.new(storage).resize_(*shape)


class CollatedItems(Sequence):
    """A batch made at once, seen as the sequence of its items.

    ``collate(items)`` returns the batch dict itself; any other collate function (e.g.
    torch's default) indexes the items, which are views of the batch's tensors.
    """

    def __init__(self, batch: dict[str, Any]):
        self.batch = batch

    def __len__(self) -> int:
        return int(self.batch["label"].shape[0])

    def __getitem__(self, k: int) -> dict[str, Any]:  # type: ignore[override]
        if not -len(self) <= k < len(self):
            raise IndexError(k)
        item: dict[str, Any] = {}
        for key, value in self.batch.items():
            if isinstance(value, list):
                item[key] = [v[k] for v in value]
            elif key in ("label", "index"):
                item[key] = int(value[k])
            else:
                item[key] = value[k]
        return item


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Collate function for :class:`SkeletonDataset` loaders.

    A :class:`CollatedItems` (the batched path) is returned as its batch, without a
    copy; anything else goes to torch's ``default_collate``. Batches: ``"x"`` (and
    ``"motion"``, ``"bone"``) ``[B, C, T, V, M]`` or a list of those (one per view),
    ``"label"`` and ``"index"`` int64 ``[B]``.
    """
    if isinstance(items, CollatedItems):
        return items.batch
    return default_collate(items)
