"""SkeletonDataset over a store prepared from generated NTU files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
import zarr
from torch.utils.data import DataLoader

from actionkit import open_store
from actionkit.data import (
    CollatedItems,
    MultiView,
    Normalize,
    SkeletonDataset,
    cmd_test_view,
    cmd_train_view,
    collate,
)
from actionkit.kernels.streams import bone, motion
from actionkit.normalize import ctrgcn
from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    generate_ntu_dataset(root / "raw", samples_per_class=4, seed=1, classes=[8, 23, 50, 58], frames=(30, 90))
    prepare(NTUSource([root / "raw"], "ntu60"), root / "s.zarr", workers=1)
    return root / "s.zarr"


def test_items_shapes_dtypes_and_labels(store_path):
    store = open_store(store_path)
    ds = SkeletonDataset(store, ("xsub", "train"))
    idx = store.split("xsub", "train")
    assert len(ds) == len(idx) > 0
    np.testing.assert_array_equal(ds.labels, store.samples["label"][idx])
    assert ds.num_classes == 60 and ds.layout.num_joints == 25
    item = ds[1]
    t = int(store.samples["frames"][idx[1]])
    assert item["x"].shape == (3, t, 25, 2) and item["x"].dtype == torch.float32
    assert item["label"] == int(ds.labels[1]) and item["index"] == 1
    raw = store.sample(int(idx[1]), streams=("joint",))["joint"]
    np.testing.assert_array_equal(item["x"].numpy(), raw.transpose(3, 0, 2, 1))
    item["x"].zero_()  # an item owns its memory
    assert ds.raw(1).any()
    assert len(SkeletonDataset(store_path, None)) == len(store)


def test_errors_name_what_exists(store_path, tmp_path):
    with pytest.raises(ValueError, match=r"no split xsub/val; available splits: .*xsub/test.*xview/train"):
        SkeletonDataset(store_path, ("xsub", "val"))
    with pytest.raises(ValueError, match="no stream 'rgb'; streams: joint, motion, bone"):
        SkeletonDataset(store_path, None, stream="rgb")
    with pytest.raises(ValueError, match="unknown output stream"):
        SkeletonDataset(store_path, None, streams_out=("joint", "velocity"))
    with pytest.raises(ValueError, match="derived from joints"):
        SkeletonDataset(store_path, None, stream="motion", streams_out=("motion",))
    other = tmp_path / "video.zarr"
    shutil.copytree(store_path, other)
    group = zarr.open_group(other, mode="r+")
    group.attrs["actionkit"] = {**group.attrs["actionkit"], "kind": "video"}
    with pytest.raises(ValueError, match="a 'video' store; SkeletonDataset reads skeleton stores only"):
        SkeletonDataset(other, None)


def test_augmentation_is_a_function_of_seed_epoch_and_sample(store_path):
    t = MultiView(cmd_train_view(), 2)
    a = SkeletonDataset(store_path, ("xsub", "train"), transform=t, seed=3)
    b = SkeletonDataset(store_path, ("xsub", "train"), transform=t, seed=3)
    for k in range(2):
        torch.testing.assert_close(a[2]["x"][k], b[2]["x"][k], rtol=0, atol=0)
    first = a[2]["x"][0].clone()
    a.set_epoch(1)
    assert a.epoch == 1 and not torch.equal(a[2]["x"][0], first)
    b.set_epoch(1)  # a resumed run at epoch 1 sees the same views
    assert torch.equal(a[2]["x"][0], b[2]["x"][0])
    c = SkeletonDataset(store_path, ("xsub", "train"), transform=t, seed=4)
    assert not torch.equal(c[2]["x"][0], first)
    sub = a.subset([2, 0])
    assert torch.equal(sub[0]["x"][0], a[2]["x"][0]) and sub[0]["index"] == 0
    assert len(sub) == 2 and sub.labels[1] == a.labels[0]


def test_motion_and_bone_come_from_the_augmented_joints(store_path):
    ds = SkeletonDataset(store_path, ("xsub", "train"), transform=MultiView(cmd_train_view(), 2),
                         streams_out=("joint", "motion", "bone"))  # fmt: skip
    item = ds[0]
    parents = np.asarray(ds.layout.parents)
    for k in range(2):
        joints = item["x"][k].numpy().transpose(1, 3, 2, 0)  # back to [T, M, V, C]
        np.testing.assert_array_equal(item["motion"][k].numpy(), motion(joints).transpose(3, 0, 2, 1))
        np.testing.assert_array_equal(item["bone"][k].numpy(), bone(joints, parents).transpose(3, 0, 2, 1))
    single = SkeletonDataset(store_path, ("xsub", "test"), transform=cmd_test_view(), streams_out=("motion",))
    it = single[0]
    assert set(it) == {"x", "motion", "label", "index"} and it["x"].shape == (3, 64, 25, 2)


def test_batched_items_equal_per_item_items(store_path):
    ds = SkeletonDataset(store_path, ("xsub", "train"), transform=MultiView(cmd_train_view(), 2),
                         streams_out=("joint", "motion", "bone"), seed=5)  # fmt: skip
    ds.set_epoch(2)
    indices = [3, 0, 5, 3]
    items = ds.__getitems__(indices)
    assert isinstance(items, CollatedItems) and len(items) == 4
    batch = collate(items)
    assert batch["x"][0].shape == (4, 3, 64, 25, 2)
    assert batch["index"].tolist() == indices and batch["label"].tolist() == [int(ds.labels[i]) for i in indices]
    slow = collate([ds[i] for i in indices])
    for key in ("x", "motion", "bone"):
        for k in range(2):
            torch.testing.assert_close(batch[key][k], slow[key][k], rtol=1e-5, atol=1e-5)
    plain = torch.utils.data.default_collate(items)  # any collate still works
    torch.testing.assert_close(plain["x"][1], batch["x"][1], rtol=0, atol=0)


def test_pre_transform_is_applied_once(store_path):
    ds = SkeletonDataset(store_path, ("xsub", "test"), pre_transform=Normalize("ctrgcn"))
    raw = SkeletonDataset(store_path, ("xsub", "test"))
    np.testing.assert_array_equal(ds.raw(1), ctrgcn(raw.raw(1)))


@pytest.mark.parametrize("batched", [False, True])
def test_dataloader_with_two_fork_workers_sees_the_epoch(store_path, batched):
    ds = SkeletonDataset(store_path, ("xsub", "train"), transform=MultiView(cmd_train_view(), 2),
                         streams_out=("joint", "bone"), seed=9)  # fmt: skip
    source = ds if batched else torch.utils.data.Subset(ds, range(len(ds)))
    loader = DataLoader(source, batch_size=4, num_workers=2, persistent_workers=True,
                        multiprocessing_context="fork", collate_fn=collate)  # fmt: skip
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        got = [b for b in loader]
        expect = collate([ds[i] for i in range(4)])
        assert got[0]["index"].tolist() == [0, 1, 2, 3]
        torch.testing.assert_close(got[0]["x"][1], expect["x"][1], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(got[0]["bone"][0], expect["bone"][0], rtol=1e-5, atol=1e-5)
        assert sum(len(b["label"]) for b in got) == len(ds)
