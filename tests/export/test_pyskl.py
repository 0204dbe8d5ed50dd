"""pyskl export: PYSKL's annotation layout, streamed pickle, and the round trip through import."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from skeleton_stores import make_store

from actionkit import open_store
from actionkit.export import ExportOptions, export
from actionkit.export.pickling import AnnotationPickle, encode
from actionkit.importers import import_pyskl


def test_encode_matches_pickle_semantics():
    values = [np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(4, dtype=">i4"), np.ones((0, 2), np.float16),
              np.int64(5), np.float32(2.5), (1, 2), "é", 2**40, -3, 1.5, None, True, [1, "a"], {"a": (1,)},
              np.arange(6.0).reshape(2, 3).T]
    for v in values:
        back = pickle.loads(b"\x80\x03" + encode(v) + b".")
        if isinstance(v, np.ndarray):
            assert back.shape == v.shape and back.dtype.kind == v.dtype.kind and np.array_equal(back, v)
        else:
            assert back == v and type(back) is type(v)
    with pytest.raises(TypeError, match="set"):
        encode({1, 2})


def test_streamed_pickle_equals_whole(tmp_path):
    items = [{"frame_dir": str(i), "keypoint": np.full((1, 2, 3, 3), i, np.float32)} for i in range(2345)]
    with open(tmp_path / "a.pkl", "wb") as fh:
        writer = AnnotationPickle(fh, {"split": {"x_train": ["0"]}}, "annotations")
        for item in items:
            writer.append(item)
        writer.close()
    back = pickle.loads((tmp_path / "a.pkl").read_bytes())
    assert back["split"] == {"x_train": ["0"]} and len(back["annotations"]) == 2345
    assert all(np.array_equal(a["keypoint"], b["keypoint"]) for a, b in zip(back["annotations"], items))


def test_pyskl_layout_3d(tmp_path):
    store_path, arrays = make_store(tmp_path)
    store = open_store(store_path)
    export(store, "pyskl", tmp_path / "out.pkl")
    data = pickle.loads((tmp_path / "out.pkl").read_bytes())
    assert set(data) == {"split", "annotations"}
    assert set(data["split"]) == {"train", "val"}  # protocol "default" -> PYSKL's bare names, test -> val
    names = store.samples["name"]
    assert data["split"]["val"] == [str(names[i]) for i in store.split("default", "test")]
    for ann in data["annotations"]:
        x = arrays[ann["frame_dir"]]
        kp = ann["keypoint"]
        assert kp.dtype == np.float32 and kp.ndim == 4 and kp.shape[1:] == (len(x), 25, 3)
        assert ann["total_frames"] == len(x) and isinstance(ann["label"], int)
        bodies = 1 if not x[:, 1].any() else 2  # an absent second body is dropped
        assert kp.shape[0] == bodies and np.array_equal(kp, x[:, :bodies].transpose(1, 0, 2, 3))
        assert "keypoint_score" not in ann


def test_pyskl_round_trip_3d_and_2d(tmp_path):
    for layout, two_d in (("ntu25", False), ("coco17", True)):
        work = tmp_path / layout
        store_path, _ = make_store(work, layout=layout, two_d=two_d)
        first = work / "first.pkl"
        export(open_store(store_path), "pyskl", first)
        data = pickle.loads(first.read_bytes())
        if two_d:
            ann = data["annotations"][0]
            assert ann["keypoint"].shape[-1] == 2 and ann["keypoint_score"].shape == ann["keypoint"].shape[:3]
        import_pyskl(first, work / "back.zarr")
        a, b = open_store(store_path), open_store(work / "back.zarr")
        assert b.layout.name == layout and b.attrs["streams"]["joint"].get("channels", ["x", "y", "z"]) == \
            (["x", "y", "score"] if two_d else ["x", "y", "z"])
        assert np.array_equal(a.load_stream("joint"), b.load_stream("joint"))
        assert np.array_equal(a.samples["label"], b.samples["label"])
        assert a.samples["name"].tolist() == b.samples["name"].tolist()
        assert {p: {k: v.tolist() for k, v in parts.items()} for p, parts in a.splits.items()} == \
            {p: {k: v.tolist() for k, v in parts.items()} for p, parts in b.splits.items()}
        export(b, "pyskl", work / "second.pkl")
        assert (work / "second.pkl").read_bytes() == first.read_bytes()


def test_pyskl_stream_and_normalize_options(tmp_path):
    store_path, arrays = make_store(tmp_path)
    store = open_store(store_path)
    export(store, "pyskl", tmp_path / "bone.pkl", ExportOptions(stream="bone", protocols=("default",),
                                                                  parts=("train",)))
    data = pickle.loads((tmp_path / "bone.pkl").read_bytes())
    assert list(data["split"]) == ["train"] and len(data["annotations"]) == len(store.split("default", "train"))
    i = int(store.split("default", "train")[0])
    want = store.sample(i, ["bone"])["bone"]
    got = data["annotations"][0]["keypoint"]
    assert np.array_equal(got, want[:, :got.shape[0]].transpose(1, 0, 2, 3))
