"""verify_store finds each kind of damage; summarize reports the headline facts."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from actionkit import open_store
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.store.inspect import summarize, verify_store
from actionkit.synthetic import generate_ntu_dataset


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inspect")
    generate_ntu_dataset(tmp / "raw", samples_per_class=2, seed=8)
    prepare(NTUSource([tmp / "raw"], "ntu60"), tmp / "s.zarr", workers=1)
    return tmp / "s.zarr"


@pytest.fixture()
def copy(store_path, tmp_path):
    import shutil

    target = tmp_path / "s.zarr"
    shutil.copytree(store_path, target)
    return target


def test_a_fresh_store_verifies(store_path):
    report = verify_store(store_path)
    assert report.ok, report.problems
    assert any("derived streams" in line for line in report.checked)


def test_summary(store_path):
    store = open_store(store_path)
    s = summarize(store)
    assert s["samples"] == len(store) and s["classes"] == 60
    assert s["classes_present"] == len(set(store.samples["label"].tolist()))
    assert s["frames_total"] == store.stream("joint").shape[0]
    assert list(s["splits"]["xsub"]) == ["train", "test"]


def edit(path, array, fn):
    arr = zarr.open_array(path / array, mode="r+")
    values = arr[:]
    arr[:] = fn(values)


@pytest.mark.parametrize("damage, expected", [
    (lambda p: edit(p, "samples/start", lambda v: v + (np.arange(len(v)) == 3)), "offsets are not contiguous"),
    (lambda p: edit(p, "samples/label", lambda v: v + 100), "labels outside"),
    (lambda p: edit(p, "splits/xsub/test", lambda v: np.concatenate([v[:-1], [0]]).astype(np.int32)), "xsub"),
    (lambda p: edit(p, "joint", lambda v: np.where(np.arange(len(v))[:, None, None, None] == 5, np.nan, v)),
     "non-finite"),
    (lambda p: edit(p, "bone", lambda v: v * 1.01), "bone differs"),
    (lambda p: edit(p, "motion", lambda v: np.roll(v, 1, axis=0)), "motion differs"),
])
def test_damage_is_reported(copy, damage, expected):
    damage(copy)
    report = verify_store(copy)
    assert not report.ok
    assert any(expected in p for p in report.problems), report.problems
