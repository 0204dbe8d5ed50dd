"""The canonical store's schema: the one source of truth for names, versions and codecs.

``docs/store.md`` describes the same schema for readers in other languages; keep the two
in step. Version 2 layout (Zarr v3)::

    <dataset>.zarr/
      zarr.json                 root group; attributes under the key "actionkit"
      manifest.json             every chunk object of every array: size and CRC-32C
      samples/<field>           1-D arrays of length N: label, frames, start, ids...
      samples/name              uint8 [N, L]: UTF-8 names, zero-padded (core Zarr v3 types only)
      splits/<protocol>/<part>  sorted int32 sample indices
      <stream>                  per-frame arrays concatenated over samples (ragged)
      <stream>/index, /bytes    an encoded stream (video): per-frame (offset, length) records
                                into one byte array of concatenated JPEG/PNG images
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zarr.codecs as zc

SCHEMA_VERSION = 2
#: Versions this reader opens. Version 1 stored ``samples/name`` as Zarr's variable-length
#: string extension (unreadable by tensorstore) and had no chunk manifest.
READABLE_VERSIONS = (1, 2)
MANIFEST_FILE = "manifest.json"
#: What a damaged store's error message tells the user to do.
REMEDY = "run `actionkit verify {path}` for the full list, then prepare the store again (--overwrite)"
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

#: Video stores commit (and bound their buffered image bytes) every this many frames.
VIDEO_CHUNK_FRAMES = 512
VIDEO_SHARD_FRAMES = 2048

#: The byte array of an encoded stream: 64 KiB inner chunks (the unit of a partial read,
#: a few frames' worth) in 64 MiB shard objects.
BLOB_CHUNK_BYTES = 1 << 16
BLOB_SHARD_BYTES = 1 << 26

#: Video streams and what each holds (all images resized to the store's short side).
VIDEO_STREAMS = {
    "rgb": "RGB frames, JPEG, uint8 [H, W, 3]",
    "depth": "depth maps, lossless PNG, uint16 [H, W] millimetres",
    "flow": "TV-L1 flow from frame t to t+1, x and y as two greyscale images (PNG or JPEG) of the quantised "
            "components; "
            "the last frame of every sample has no flow (empty record)",
    "rgbdiff": "RGB difference frame t+1 - frame t, mapped to uint8 d // 2 + 128 and stored as JPEG; "
               "the last frame of every sample is empty",
    "video": "each sample's video file as downloaded (one record per sample), for datasets too large to "
             "store as frames; decoded on reading",
}


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


@dataclass(frozen=True)
class EncodedStreamSpec:
    """A stream of encoded images: ``parts`` images per frame (flow: x and y).

    Stored as ``<name>/index`` int64 ``[frames, parts, 2]`` (byte offset, byte length;
    length 0 = no image) and ``<name>/bytes`` uint8 ``[total bytes]``. Streams between
    consecutive frames (flow, RGB difference) set ``last_frame_empty``: frame t holds
    t -> t+1, and a sample's last frame has no image. A ``per_sample`` stream (the
    encoded video file of each sample, for datasets too large to store as frames) has
    one record per sample: ``<name>/index`` is ``[samples, parts, 2]``.
    """

    name: str
    codec: str
    parts: int = 1
    channels: int = 3
    dtype: str = "uint8"
    description: str = ""
    last_frame_empty: bool = False
    per_sample: bool = False
    extra: tuple[tuple[str, object], ...] = ()

    @property
    def index_spec(self) -> StreamSpec:
        """The per-frame index array, written like any per-frame stream."""
        return StreamSpec(f"{self.name}/index", (self.parts, 2), dtype="int64", units="bytes")

    def as_attrs(self) -> dict:
        return {
            "encoded": True,
            "codec": self.codec,
            "parts": self.parts,
            "channels": self.channels,
            "dtype": self.dtype,
            "index": f"{self.name}/index",
            "bytes": f"{self.name}/bytes",
            "last_frame_empty": self.last_frame_empty,
            "per_sample": self.per_sample,
            "description": self.description,
            **dict(self.extra),
        }


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


def blob_codecs() -> dict:
    """Keyword arguments of ``create_array`` for an encoded stream's byte array.

    The images are already compressed: no compressor, only a crc32c checksum per inner chunk.
    """
    return {"compressors": [zc.Crc32cCodec()]}


def write_config() -> dict:
    """Array config of every array the writer creates: every chunk is written, even one that
    holds only the fill value, so a missing chunk object is always damage (never zeros)."""
    return {"write_empty_chunks": True}


def encode_names(names: list[str] | np.ndarray) -> np.ndarray:
    """Sample names as uint8 ``[N, L]``: UTF-8 bytes, zero-padded to the longest (L >= 1)."""
    raw = [str(n).encode("utf-8") for n in names]
    out = np.zeros((len(raw), max([len(r) for r in raw] + [1])), dtype=np.uint8)
    for i, r in enumerate(raw):
        out[i, :len(r)] = np.frombuffer(r, dtype=np.uint8)
    return out


def decode_names(codes: np.ndarray) -> np.ndarray:
    """The inverse of :func:`encode_names`: a numpy ``str`` array ``[N]``."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if codes.ndim != 2:
        raise ValueError(f"names must be uint8 [N, L], got shape {codes.shape}")
    fixed = codes.view(f"S{codes.shape[1]}").reshape(-1)  # numpy strips the zero padding
    return np.array([b.decode("utf-8") for b in fixed.tolist()], dtype=str)


def small_array_codecs() -> dict:
    """Keyword arguments of ``create_array`` for sample fields and split indices."""
    return {"compressors": [zc.ZstdCodec(level=5), zc.Crc32cCodec()]}
