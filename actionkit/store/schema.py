"""The canonical store's schema: the one source of truth for names, versions and codecs.

``docs/store.md`` describes the same schema for readers in other languages; keep the two
in step. Version 1 layout (Zarr v3)::

    <dataset>.zarr/
      zarr.json                 root group; attributes under the key "actionkit"
      samples/<field>           1-D arrays of length N: name, label, frames, start, ids...
      splits/<protocol>/<part>  sorted int32 sample indices
      <stream>                  per-frame arrays concatenated over samples (ragged)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zarr.codecs as zc

SCHEMA_VERSION = 1
ATTRS_KEY = "actionkit"
SAMPLES_GROUP = "samples"
SPLITS_GROUP = "splits"
JOURNAL_DIR = ".actionkit-journal"

#: Fields every store has in ``samples/``; datasets add their own integer ids.
CORE_FIELDS = ("name", "label", "frames", "start")
FIELD_DTYPES = {"label": np.dtype("int32"), "frames": np.dtype("int32"), "start": np.dtype("int64")}
ID_DTYPE = np.dtype("int32")

#: Skeleton streams, in canonical order, and what each holds.
SKELETON_STREAMS = {
    "joint": "joint coordinates, raw camera space",
    "motion": "joint[t+1] - joint[t] within a sample; 0 on its last frame",
    "bone": "joint[v] - joint[parent[v]] with the layout's parents; 0 at the centre joint",
}

#: Frames per inner chunk and per shard of a per-frame stream.
CHUNK_FRAMES = 1024
SHARD_FRAMES = 32768


@dataclass(frozen=True)
class StreamSpec:
    """A per-frame stream: ``[frames, *frame_shape]`` of ``dtype``."""

    name: str
    frame_shape: tuple[int, ...]
    dtype: str = "float32"
    units: str = "m"
    description: str = ""

    def as_attrs(self) -> dict:
        return {
            "dtype": self.dtype,
            "shape": [None, *self.frame_shape],
            "axes": ["frame", "body", "joint", "xyz"][: 1 + len(self.frame_shape)],
            "units": self.units,
            "description": self.description,
        }


def skeleton_streams(names: tuple[str, ...], bodies: int, joints: int) -> list[StreamSpec]:
    """Stream specs for skeleton streams ``names`` of ``[frames, bodies, joints, 3]``.

    Raises:
        ValueError: an unknown stream name.
    """
    unknown = [n for n in names if n not in SKELETON_STREAMS]
    if unknown:
        raise ValueError(f"unknown skeleton stream(s) {unknown}; valid: {list(SKELETON_STREAMS)}")
    return [StreamSpec(n, (bodies, joints, 3), description=SKELETON_STREAMS[n]) for n in names]


def stream_codecs(typesize: int) -> dict:
    """Keyword arguments of ``create_array`` for a per-frame stream.

    Sharded (one object per ``SHARD_FRAMES`` frames, inner chunks of ``CHUNK_FRAMES``),
    Blosc-zstd with bit shuffling, and a crc32c checksum on every inner chunk and on
    the shard index.
    """
    return {
        "compressors": [
            zc.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=typesize),
            zc.Crc32cCodec(),
        ],
    }


def small_array_codecs() -> dict:
    """Keyword arguments of ``create_array`` for sample fields and split indices."""
    return {"compressors": [zc.ZstdCodec(level=5), zc.Crc32cCodec()]}
