"""The chunk manifest: what open_store checks (cheaply) and what verify checks (every CRC)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actionkit import open_store
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.store.errors import DamagedStoreError
from actionkit.store.manifest import check_manifest, grid_keys, integrity_checks
from actionkit.synthetic import generate_ntu_dataset


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("manifest")
    generate_ntu_dataset(tmp / "raw", samples_per_class=2, seed=3)
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1, shard_frames=1024)
    return tmp / "s.zarr"


@pytest.fixture()
def copy(store_path, tmp_path):
    import shutil

    shutil.copytree(store_path, tmp_path / "s.zarr")
    return tmp_path / "s.zarr"


def test_the_manifest_lists_every_chunk_of_every_array(store_path):
    attrs = json.loads((store_path / "zarr.json").read_text())["attributes"]["actionkit"]
    manifest = json.loads((store_path / "manifest.json").read_text())["arrays"]
    assert {"joint", "motion", "bone", "samples/name", "samples/label", "splits/xsub/train"} <= set(manifest)
    for rel, entry in manifest.items():
        keys, _ = grid_keys(json.loads((store_path / rel / "zarr.json").read_text()))
        assert sorted(entry["chunks"]) == sorted(keys), rel  # every chunk written, fill-only ones too
    assert len(manifest["joint"]["chunks"]) > 1  # several shards: the per-shard checks are exercised
    assert check_manifest(store_path, attrs["manifest"], deep=True) == []


def test_a_flipped_byte_is_found_by_verify_and_by_the_loader(copy):
    shard = copy / "joint" / "c" / "1" / "0" / "0" / "0"
    raw = bytearray(shard.read_bytes())
    raw[100] ^= 0xFF  # same size: open_store's cheap check passes
    shard.write_bytes(bytes(raw))
    store = open_store(copy)
    attrs = store.attrs
    problems = check_manifest(copy, attrs["manifest"], deep=True)
    assert [(p.array, p.key, p.what.split(" (")[0]) for p in problems] == [("joint", "c/1/0/0/0", "checksum mismatch")]
    assert problems[0].rows == (1024, min(2048, store.stream("joint").shape[0]))
    with pytest.raises(DamagedStoreError, match="joint"):
        store.load_stream("joint")  # the inner chunk's own CRC-32C


def test_a_missing_shard_names_the_samples_it_held(copy):
    store = open_store(copy)
    start = store.samples["start"]
    (copy / "bone" / "c" / "1" / "0" / "0" / "0").unlink()
    with pytest.raises(DamagedStoreError) as caught:
        open_store(copy)
    first = int(np.searchsorted(start + store.samples["frames"], 1024, "right"))
    assert "array bone object c/1/0/0/0 is missing (frames 1024-" in str(caught.value)
    assert f"samples {first}-" in str(caught.value) and store.samples["name"][first] in str(caught.value)
    with integrity_checks(False):  # what the checks prevent: the shard reads as zeros
        assert not open_store(copy).load_stream("bone")[1024:1100].any()
