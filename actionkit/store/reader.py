"""Reading canonical stores: ``actionkit.open_store(path)``, numpy only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from actionkit.layouts import Layout
from actionkit.store.errors import IncompleteStoreError, SchemaVersionError, StoreError
from actionkit.store.shards import load_sharded
from actionkit.store.schema import ATTRS_KEY, SAMPLES_GROUP, SCHEMA_VERSION, SPLITS_GROUP


def layout_to_attrs(layout: Layout) -> dict[str, Any]:
    """A layout as JSON-able store attributes (enough to rebuild it without actionkit)."""
    return {
        "name": layout.name,
        "joint_names": list(layout.joint_names),
        "parents": list(layout.parents),
        "center": layout.center,
        "flip_pairs": [list(p) for p in layout.flip_pairs],
    }


def layout_from_attrs(attrs: dict[str, Any]) -> Layout:
    return Layout(
        name=attrs["name"],
        joint_names=tuple(attrs["joint_names"]),
        parents=tuple(attrs["parents"]),
        center=attrs["center"],
        flip_pairs=tuple(tuple(p) for p in attrs.get("flip_pairs", ())),
    )


class Store:
    """A canonical store opened for reading.

    Attributes:
        path: The store's folder.
        attrs: The root attributes (the ``actionkit`` key).
        samples: Sample fields, each ``[N]``: ``name``, ``label``, ``frames``, ``start``
            and the dataset's ids.
        splits: ``{protocol: {part: sorted int32 indices}}``.
    """

    def __init__(self, path: Path, group: zarr.Group, attrs: dict[str, Any]):
        self.path = path
        self._group = group
        self.attrs = attrs
        self.samples: dict[str, np.ndarray] = {
            name: arr[:] for name, arr in sorted(group[SAMPLES_GROUP].arrays())
        } if SAMPLES_GROUP in group else {}
        self.splits: dict[str, dict[str, np.ndarray]] = {}
        if SPLITS_GROUP in group:
            for protocol, pgroup in sorted(group[SPLITS_GROUP].groups()):
                self.splits[protocol] = {part: arr[:] for part, arr in sorted(pgroup.arrays())}

    # ------------------------------------------------------------------ metadata
    @property
    def dataset(self) -> str:
        return self.attrs["dataset"]

    @property
    def kind(self) -> str:
        return self.attrs["kind"]

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.attrs["classes"])

    @property
    def layout(self) -> Layout:
        return layout_from_attrs(self.attrs["layout"])

    @property
    def stream_names(self) -> tuple[str, ...]:
        return tuple(self.attrs["streams"])

    @property
    def complete(self) -> bool:
        return bool(self.attrs.get("complete"))

    def __len__(self) -> int:
        return len(self.samples.get("name", ()))

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, dataset={self.attrs.get('dataset')!r}, samples={len(self)})"

    # ------------------------------------------------------------------ data
    def stream(self, name: str) -> zarr.Array:
        """A per-frame stream, lazily (slice it to get numpy)."""
        if name not in self.attrs.get("streams", {}):
            raise KeyError(f"{self.path}: no stream {name!r}; streams: {list(self.attrs.get('streams', {}))}")
        return self._group[name]

    def load_stream(self, name: str) -> np.ndarray:
        """A whole per-frame stream read into memory, ``[total_frames, ...]``.

        Uses the direct shard decoder (:mod:`actionkit.store.shards`: threads, every
        checksum verified) when the array has the writer's layout, else zarr-python.
        """
        arr = self.stream(name)
        meta = json.loads((self.path / name / "zarr.json").read_text())
        fast = load_sharded(self.path / name, meta)
        return arr[:] if fast is None else fast

    def frames_of(self, index: int) -> slice:
        """The rows of sample ``index`` in every per-frame stream."""
        start = int(self.samples["start"][index])
        return slice(start, start + int(self.samples["frames"][index]))

    def sample(self, index: int, streams: tuple[str, ...] | list[str] | None = None) -> dict[str, Any]:
        """One sample's fields and stream arrays.

        Args:
            index: Sample index in ``[0, N)``.
            streams: Streams to read (default: all).

        Returns:
            ``{"name": str, "label": int, <ids>: int, "frames": int, <stream>: array}``;
            skeleton streams are float32 ``[frames, bodies, joints, 3]``.
        """
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"sample {index} out of range for {n} samples")
        index %= n
        out: dict[str, Any] = {}
        for key, values in self.samples.items():
            if key == "start":
                continue
            out[key] = str(values[index]) if key == "name" else int(values[index])
        rows = self.frames_of(index)
        for name in self.stream_names if streams is None else streams:
            out[name] = self.stream(name)[rows]
        return out

    def split(self, protocol: str, part: str) -> np.ndarray:
        """Sample indices of one split part, e.g. ``split("xsub", "train")``."""
        try:
            return self.splits[protocol][part]
        except KeyError:
            have = {p: sorted(parts) for p, parts in self.splits.items()}
            raise KeyError(f"{self.path}: no split {protocol}/{part}; splits: {have}") from None


def open_store(path: str | Path, *, allow_incomplete: bool = False) -> Store:
    """Open a canonical store for reading.

    Args:
        path: The store's folder (``data/ntu60.zarr``).
        allow_incomplete: Open a store whose prepare never finished.

    Raises:
        StoreError: not a store; IncompleteStoreError, SchemaVersionError as named.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise StoreError(f"{path}: no such store")
    try:
        group = zarr.open_group(path, mode="r")
    except Exception as exc:  # zarr raises several types for "not a group"
        raise StoreError(f"{path}: not a Zarr v3 store ({exc})") from exc
    attrs = group.attrs.get(ATTRS_KEY)
    if attrs is None:
        raise StoreError(f"{path}: a Zarr store but not an actionkit store (no '{ATTRS_KEY}' attributes)")
    version = attrs.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        raise SchemaVersionError(f"{path}: schema version {version}; this actionkit reads version {SCHEMA_VERSION}")
    if not attrs.get("complete") and not allow_incomplete:
        raise IncompleteStoreError(
            f"{path}: the store is incomplete (its prepare did not finish); run the prepare again to resume it"
        )
    return Store(path, group, attrs)
