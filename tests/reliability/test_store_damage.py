"""Damaged stores: a missing chunk is an error (never zeros), verify never crashes and says
``ok`` last only when every check passed, damaged metadata is one ``error:`` line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import zarr
from clirun import cli, one_error_line

from actionkit import open_store
from actionkit.data.skeleton import SkeletonDataset
from actionkit.prepare import prepare
from actionkit.sources.nwucla import NWUCLASource
from actionkit.store.errors import StoreError
from actionkit.store.inspect import verify_store


def test_deleted_label_chunk_is_an_error_not_zeros(store_copy):
    (store_copy / "samples" / "label" / "c" / "0").unlink()
    with pytest.raises(StoreError, match="samples/label"):
        open_store(store_copy)
    with pytest.raises(StoreError, match="samples/label"):
        SkeletonDataset(store_copy, ("xview", "train"))  # before: every label 0, test top-1 1.0
    report = verify_store(store_copy)
    assert not report.ok and any("samples/label" in p for p in report.problems), report.problems


def test_deleted_start_chunk_is_reported_and_verify_does_not_crash(store_copy):
    (store_copy / "samples" / "start" / "c" / "0").unlink()
    with pytest.raises(StoreError, match="samples/start"):
        open_store(store_copy)  # before: opened, and sample(i) returned the wrong rows
    report = verify_store(store_copy)  # before: IndexError
    assert not report.ok and any("samples/start" in p for p in report.problems), report.problems
    result = cli("verify", store_copy)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("not ok"), result.output


def test_deleted_shard_of_a_joint_only_store_fails_verify(tmp_path):
    from realdata import real_path

    out = tmp_path / "joint.zarr"
    prepare(NWUCLASource([real_path("nw_ucla", "all_sqe")]), out, workers=1, limit=30, streams=("joint",))
    shard = next((out / "joint" / "c").rglob("*"))
    while shard.is_dir():
        shard = next(shard.iterdir())
    shard.unlink()
    report = verify_store(out)  # before: passed (the shard read as zeros)
    assert not report.ok and any("array joint" in p and "missing" in p for p in report.problems), report.problems
    with pytest.raises(StoreError, match="array joint .*missing.*samples 0-29"):
        open_store(out)


def test_nonfinite_value_is_never_reported_ok(store_copy):
    arr = zarr.open_array(store_copy / "joint", mode="r+")
    values = arr[:]
    values[5, 0, 3, 1] = np.nan
    arr[:] = values
    result = cli("verify", store_copy)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and lines[-1].startswith("not ok"), result.output
    assert not any(line.startswith("ok") and "stream joint" in line for line in lines), result.output  # before: "ok"
    assert any("non-finite" in line and "a01_s01_e00_v01" in line for line in lines), result.output


def test_truncated_array_metadata_is_one_error_line(store_copy):
    meta = store_copy / "samples" / "label" / "zarr.json"
    meta.write_bytes(meta.read_bytes()[: len(meta.read_bytes()) // 2])
    one_error_line(cli("info", store_copy), "samples/label", "prepare the store again")  # before: a traceback
    result = cli("verify", store_copy)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("not ok"), result.output
    assert "samples/label/zarr.json" in result.output


def test_old_store_without_a_manifest_still_opens_and_verify_says_so(store_copy):
    root = json.loads((store_copy / "zarr.json").read_text())
    root["attributes"]["actionkit"].pop("manifest", None)
    (store_copy / "zarr.json").write_text(json.dumps(root))
    assert len(open_store(store_copy)) == 60
    report = verify_store(store_copy)
    assert report.ok and any("no chunk manifest" in w for w in report.warnings)
