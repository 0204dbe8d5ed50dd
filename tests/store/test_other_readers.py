"""A store reads without actionkit: with tensorstore (a strict Zarr v3 reader) and plain zarr."""

from __future__ import annotations

import numpy as np
import pytest
import zarr
from realdata import real_path

from actionkit import open_store
from actionkit.prepare import prepare
from actionkit.sources.nwucla import NWUCLASource
from actionkit.store.manifest import array_paths

ts = pytest.importorskip("tensorstore", reason="tensorstore is a dev extra (pip install actionkit[dev])")


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("readers") / "nwucla.zarr"
    prepare(NWUCLASource([real_path("nw_ucla", "all_sqe")]), out, workers=1, limit=40)
    return out


def open_ts(path):
    return ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}}, open=True).result()


def test_tensorstore_reads_every_array(store_path):
    store = open_store(store_path)
    for rel in array_paths(store_path):
        data = open_ts(store_path / rel).read().result()
        assert np.array_equal(data, zarr.open_array(store_path / rel, mode="r")[:]), rel
    names = open_ts(store_path / "samples" / "name").read().result()  # uint8 [N, L], zero-padded UTF-8
    decoded = [bytes(row).rstrip(b"\0").decode("utf-8") for row in names]
    assert decoded == store.samples["name"].tolist() and decoded[0] == "a01_s01_e00_v01"
    joint = open_ts(store_path / "joint")
    i = 7
    rows = store.frames_of(i)
    np.testing.assert_array_equal(joint[rows.start:rows.stop].read().result(), store.sample(i)["joint"])


def test_plain_zarr_reads_names_and_samples(store_path):
    root = zarr.open_group(store_path, mode="r")
    meta = root.attrs["actionkit"]
    assert meta["schema_version"] == 2 and meta["complete"]
    codes = root["samples/name"][:]
    assert codes.dtype == np.uint8 and codes.ndim == 2
    names = [bytes(r).rstrip(b"\0").decode() for r in codes]
    assert names == open_store(store_path).samples["name"].tolist()
