"""Whole-stream reads at disk speed: a direct decoder of the store's sharded arrays.

zarr-python reads a sharded array through an asyncio/thread pipeline that adds a large
per-chunk overhead (about 300-450 MB/s here). Loading a whole stream into memory is
the common case for training, so for arrays whose codecs are exactly the ones the
writer uses (``sharding_indexed`` over ``bytes`` -> ``blosc`` -> ``crc32c``, index
``bytes`` -> ``crc32c`` at the end; see ``docs/store.md``) this module reads the shard
objects itself: it parses each shard index, checks every CRC-32C, and decodes the inner
chunks on a thread pool straight into the output array (Blosc releases the GIL).
Anything else returns ``None`` and the caller falls back to zarr-python.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from crc32c import crc32c
from numcodecs import Blosc

from actionkit.store.errors import StoreError

_EMPTY = np.uint64(2**64 - 1)


def _layout(meta: dict) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(shard shape, inner chunk shape) if ``meta`` (an array's zarr.json) is the writer's layout."""
    codecs = meta.get("codecs", [])
    if meta.get("zarr_format") != 3 or len(codecs) != 1 or codecs[0]["name"] != "sharding_indexed":
        return None
    if meta.get("chunk_key_encoding", {}).get("configuration", {}).get("separator", "/") != "/":
        return None
    cfg = codecs[0]["configuration"]
    inner = [c["name"] for c in cfg["codecs"]]
    index = [c["name"] for c in cfg["index_codecs"]]
    little = all(c.get("configuration", {}).get("endian", "little") == "little"
                 for c in cfg["codecs"] + cfg["index_codecs"] if c["name"] == "bytes")
    if inner != ["bytes", "blosc", "crc32c"] or index != ["bytes", "crc32c"] or not little:
        return None
    if cfg.get("index_location", "end") != "end":
        return None
    shard = tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])
    chunk = tuple(cfg["chunk_shape"])
    if any(c != s for c, s in zip(chunk[1:], shard[1:])) or shard[0] % chunk[0]:
        return None  # only frame-axis chunking, as the writer makes
    return shard, chunk


def _checked(data: bytes | memoryview, what: str) -> memoryview:
    """Strip and verify a trailing little-endian CRC-32C."""
    view = memoryview(data)
    if len(view) < 4 or crc32c(view[:-4]) != int.from_bytes(view[-4:], "little"):
        raise StoreError(f"{what}: checksum mismatch (the data is corrupted)")
    return view[:-4]


def load_sharded(array_dir: Path, meta: dict, workers: int | None = None, *,
                 strict: bool = False) -> np.ndarray | None:
    """Read a whole array written by the store writer, or return None if it is not one.

    Args:
        array_dir: The array's folder (holding ``zarr.json`` and ``c/``).
        meta: The array's parsed ``zarr.json``.
        workers: Decoding threads (default: all cores).
        strict: Every shard and inner chunk inside the array must be present (stores of
            schema 2 write every chunk); else an absent one reads as the fill value (0).

    Raises:
        StoreError: a checksum mismatch or a malformed shard (the message names it).
    """
    layout = _layout(meta)
    if layout is None:
        return None
    (shard_frames, *frame_shape), (chunk_frames, *_) = layout
    shape = tuple(meta["shape"])
    dtype = np.dtype(meta["data_type"]).newbyteorder("<")
    out = np.zeros(shape, dtype=dtype)
    total = shape[0]
    per_shard = shard_frames // chunk_frames
    chunk_bytes = chunk_frames * int(np.prod(frame_shape)) * dtype.itemsize
    index_bytes = per_shard * 16 + 4
    blosc = Blosc()
    flat = out.reshape(total, -1)
    suffix = "/".join("0" for _ in frame_shape)

    def load_shard(s: int) -> None:
        path = array_dir / "c" / str(s) / suffix
        if not path.exists():
            if strict:
                lo = s * shard_frames
                raise StoreError(f"{path}: shard missing (rows {lo}-{min(lo + shard_frames, total) - 1})")
            return  # an all-fill-value shard is not written
        data = memoryview(path.read_bytes())
        if len(data) < index_bytes:
            raise StoreError(f"{path}: shard shorter than its index")
        index = np.frombuffer(_checked(data[-index_bytes:], f"{path} (shard index)"), dtype="<u8")
        for c, (offset, nbytes) in enumerate(index.reshape(per_shard, 2)):
            start = s * shard_frames + c * chunk_frames
            if offset == _EMPTY:
                if strict and start < total:
                    raise StoreError(f"{path}: inner chunk {c} missing (rows {start}-"
                                     f"{min(start + chunk_frames, total) - 1})")
                continue
            if start >= total or offset + nbytes > len(data) - index_bytes:
                raise StoreError(f"{path}: inner chunk {c} lies outside the shard")
            what = f"{path} chunk {c}"
            payload = _checked(data[int(offset):int(offset + nbytes)], what)
            rows = min(chunk_frames, total - start)
            if rows == chunk_frames:  # decode straight into the output
                if blosc.decode(payload, out=flat[start:start + rows]).nbytes != chunk_bytes:
                    raise StoreError(f"{what}: decodes to the wrong size")
                continue
            raw = blosc.decode(payload)
            if len(raw) != chunk_bytes:
                raise StoreError(f"{what}: decodes to {len(raw)} bytes, expected {chunk_bytes}")
            flat[start:start + rows] = np.frombuffer(raw, dtype=dtype).reshape(chunk_frames, -1)[:rows]

    shards = range((total + shard_frames - 1) // shard_frames)
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        list(pool.map(load_shard, shards))
    return out.astype(dtype.newbyteorder("="), copy=False)


def load_sharded_rows(array_dir: Path, meta: dict, lo: int, hi: int, *, strict: bool = False) -> np.ndarray | None:
    """Rows ``lo:hi`` of an array written by the store writer (only the inner chunks they touch), or None.

    The bounded-memory counterpart of :func:`load_sharded` for streaming readers
    (exports): every CRC-32C of what is read is checked. None when the array does not
    have the writer's layout (the caller falls back to zarr-python). ``strict`` as in
    :func:`load_sharded`: an absent shard or inner chunk is an error, not zeros.

    Raises:
        StoreError: a checksum mismatch or a malformed shard.
    """
    layout = _layout(meta)
    if layout is None:
        return None
    (shard_frames, *frame_shape), (chunk_frames, *_) = layout
    total = int(meta["shape"][0])
    lo, hi = max(0, lo), min(hi, total)
    dtype = np.dtype(meta["data_type"]).newbyteorder("<")
    out = np.zeros((max(hi - lo, 0), *frame_shape), dtype=dtype)
    flat = out.reshape(len(out), int(np.prod(frame_shape)))
    per_shard = shard_frames // chunk_frames
    chunk_bytes = chunk_frames * int(np.prod(frame_shape)) * dtype.itemsize
    index_bytes = per_shard * 16 + 4
    suffix = "/".join("0" for _ in frame_shape)
    blosc = Blosc()
    for s in range(lo // shard_frames, (hi + shard_frames - 1) // shard_frames):
        path = array_dir / "c" / str(s) / suffix
        if not path.exists():
            if strict:
                raise StoreError(f"{path}: shard missing (rows {s * shard_frames}-"
                                 f"{min((s + 1) * shard_frames, total) - 1})")
            continue
        with open(path, "rb") as fh:
            fh.seek(-index_bytes, os.SEEK_END)
            index = np.frombuffer(_checked(fh.read(index_bytes), f"{path} (shard index)"), dtype="<u8")
            for c, (offset, nbytes) in enumerate(index.reshape(per_shard, 2)):
                start = s * shard_frames + c * chunk_frames
                if start + chunk_frames <= lo or start >= hi:
                    continue
                if offset == _EMPTY:
                    if strict:
                        raise StoreError(f"{path}: inner chunk {c} missing (rows {start}-"
                                         f"{min(start + chunk_frames, total) - 1})")
                    continue
                fh.seek(int(offset))
                what = f"{path} chunk {c}"
                raw = blosc.decode(_checked(fh.read(int(nbytes)), what))
                if len(raw) != chunk_bytes:
                    raise StoreError(f"{what}: decodes to {len(raw)} bytes, expected {chunk_bytes}")
                rows = np.frombuffer(raw, dtype=dtype).reshape(chunk_frames, -1)
                a, b = max(lo, start), min(hi, start + chunk_frames)
                flat[a - lo:b - lo] = rows[a - start:b - start]
    return out.astype(dtype.newbyteorder("="), copy=False)
