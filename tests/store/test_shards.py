"""The direct shard decoder agrees with zarr-python and catches corruption."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr
import zarr.codecs as zc

from actionkit.store.errors import StoreError
from actionkit.store.schema import stream_codecs
from actionkit.store.shards import load_sharded


def make_array(path, frames, chunk=8, shard=32, fill_gap=False):
    rng = np.random.default_rng(frames)
    data = np.round(rng.standard_normal((frames, 2, 5, 3)), 3).astype(np.float32)
    if fill_gap:
        data[:shard] = 0  # an all-zero shard is not written at all
    arr = zarr.open_group(path, mode="w").create_array(
        "j", shape=data.shape, dtype="float32", chunks=(chunk, 2, 5, 3), shards=(shard, 2, 5, 3),
        fill_value=0, **stream_codecs(4))
    arr[:] = data
    return data, path / "j", json.loads((path / "j" / "zarr.json").read_text())


@pytest.mark.parametrize("frames", [1, 7, 8, 31, 32, 33, 100])
def test_matches_zarr(tmp_path, frames):
    data, folder, meta = make_array(tmp_path / "s.zarr", frames)
    got = load_sharded(folder, meta)
    np.testing.assert_array_equal(got, data)
    np.testing.assert_array_equal(got, zarr.open_array(folder, mode="r")[:])


def test_missing_shard_reads_as_fill_value(tmp_path):
    data, folder, meta = make_array(tmp_path / "s.zarr", 70, fill_gap=True)
    np.testing.assert_array_equal(load_sharded(folder, meta), data)


def test_other_layouts_are_left_to_zarr(tmp_path):
    arr = zarr.open_group(tmp_path / "s.zarr", mode="w").create_array(
        "j", shape=(10, 3), dtype="float32", chunks=(5, 3), compressors=[zc.ZstdCodec()])
    arr[:] = 1
    meta = json.loads((tmp_path / "s.zarr" / "j" / "zarr.json").read_text())
    assert load_sharded(tmp_path / "s.zarr" / "j", meta) is None


@pytest.mark.parametrize("where", ["chunk", "index"])
def test_corruption_is_detected(tmp_path, where):
    _, folder, meta = make_array(tmp_path / "s.zarr", 40)
    shard = folder / "c" / "0" / "0" / "0" / "0"
    raw = bytearray(shard.read_bytes())
    raw[10 if where == "chunk" else -10] ^= 0xFF
    shard.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="checksum mismatch"):
        load_sharded(folder, meta)


def test_row_ranges_match_whole_reads(tmp_path):
    from actionkit.store.shards import load_sharded_rows

    data, folder, meta = make_array(tmp_path / "s.zarr", 100, fill_gap=True)
    for lo, hi in [(0, 0), (0, 100), (5, 6), (7, 41), (31, 33), (60, 100), (90, 150), (40, 40)]:
        np.testing.assert_array_equal(load_sharded_rows(folder, meta, lo, hi), data[lo:hi])
    shard = folder / "c" / "1" / "0" / "0" / "0"
    raw = bytearray(shard.read_bytes())
    raw[3] ^= 0xFF
    shard.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="checksum"):
        load_sharded_rows(folder, meta, 32, 40)
