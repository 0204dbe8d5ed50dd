"""stgcn, ctrgcn and sgn exports: read back as the consumers' loaders read them."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from skeleton_stores import make_store

from actionkit import open_store
from actionkit.export import ExportError, ExportOptions, export
from actionkit.export.npy import NpyWriter
from actionkit.normalize import agcn


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path, arrays = make_store(tmp_path_factory.mktemp("fixed"), n=14)
    return open_store(path), arrays


class CMDFeeder:
    """What CMD's ``feeder_downstream.Feeder`` does on loading: mmap the (N, C, T, V, M) data, unpickle
    ``(sample_name, label)``, load ``num_frame``; an item is ``data[i]`` cropped to ``min(num_frame, 300)``."""

    def __init__(self, data_path, label_path, num_frame_path):
        self.data = np.load(data_path, mmap_mode="r")
        self.number_of_frames = np.load(num_frame_path)
        with open(label_path, "rb") as f:
            self.sample_name, self.label = pickle.load(f)
        self.N, self.C, self.T, self.V, self.M = self.data.shape

    def __len__(self):
        return self.N

    def __getitem__(self, index):
        frames = min(self.number_of_frames[index], 300)
        return np.array(self.data[index])[:, :frames], self.label[index]


def test_npy_writer_is_np_save(tmp_path):
    x = np.random.default_rng(0).standard_normal((7, 3, 5, 2)).astype(np.float32)
    np.save(tmp_path / "a.npy", x)
    with open(tmp_path / "b.npy", "wb") as fh:
        w = NpyWriter(fh, x.shape, np.float32)
        for row in x:
            w.write(row)
        w.close()
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    with pytest.raises(ValueError, match="1 rows written to an array of 7"):
        w = NpyWriter(io.BytesIO(), x.shape, np.float32)
        w.write(x[0])
        w.close()


def test_stgcn_loads_in_cmd_feeder(store, tmp_path):
    st, arrays = store
    export(st, "stgcn", tmp_path / "out")
    for part, file_part in (("train", "train"), ("test", "val")):
        folder = tmp_path / "out" / "default"
        feeder = CMDFeeder(folder / f"{file_part}_data_joint.npy", folder / f"{file_part}_label.pkl",
                           folder / f"{file_part}_num_frame.npy")
        idx = st.split("default", part)
        assert (feeder.N, feeder.C, feeder.T, feeder.V, feeder.M) == (len(idx), 3, 300, 25, 2)
        assert feeder.data.dtype == np.float32 and feeder.number_of_frames.dtype == np.int64
        assert feeder.sample_name == [str(st.samples["name"][i]) for i in idx]  # store order within the part
        assert feeder.label == [int(st.samples["label"][i]) for i in idx]
        for k, i in enumerate(idx):
            x, label = feeder[k]
            raw = arrays[str(st.samples["name"][i])]
            assert label == st.samples["label"][i] and x.shape[1] == len(raw)
            assert np.array_equal(x, raw.transpose(3, 0, 2, 1))
            assert not np.asarray(feeder.data[k])[:, len(raw):].any()  # zero padding


def test_stgcn_options(store, tmp_path):
    st, arrays = store
    export(st, "stgcn", tmp_path / "m", ExportOptions(stream="motion", pad=16, parts=("train",)))
    data = np.load(tmp_path / "m" / "default" / "train_data_joint_motion.npy")
    frames = np.load(tmp_path / "m" / "default" / "train_num_frame.npy")
    i = int(st.split("default", "train")[0])
    raw = arrays[str(st.samples["name"][i])]
    want = np.zeros((16, 2, 25, 3), np.float32)
    stored = st.sample(i, ["motion"])["motion"][:16]  # the stored motion stream, cut and zero-padded
    want[:len(stored)] = stored
    assert np.allclose(stored[:len(raw) - 1][:15], np.diff(raw, axis=0)[:15], atol=1e-6)
    assert data.shape[2] == 16 and frames[0] == min(len(raw), 16)
    assert np.allclose(data[0], want.transpose(3, 0, 2, 1), atol=1e-6)
    report = export(st, "stgcn", tmp_path / "r", ExportOptions(frames=8, parts=("train",)))
    data = np.load(tmp_path / "r" / "default" / "train_data_joint.npy")
    assert data.shape[2] == 8 and np.array_equal(data[0], raw[np.linspace(0, len(raw) - 1, 8).astype(int)]
                                                 .transpose(3, 0, 2, 1))
    assert report.notes == []
    report = export(st, "stgcn", tmp_path / "a", ExportOptions(normalize="agcn", parts=("train",)))
    data = np.load(tmp_path / "a" / "default" / "train_data_joint.npy")
    assert np.allclose(data[0], agcn(raw, pad_to=300).transpose(3, 0, 2, 1), atol=1e-5)  # loops into the padding
    with pytest.raises(ExportError, match="no part 'val'"):
        export(st, "stgcn", tmp_path / "x", ExportOptions(parts=("val",)))


def test_cut_is_reported(store, tmp_path):
    st, arrays = store
    longest = max(len(a) for a in arrays.values())
    report = export(st, "stgcn", tmp_path / "c", ExportOptions(pad=longest - 1))
    assert report.notes and "were cut" in report.notes[0]


def test_ctrgcn_npz_as_feeder_ntu_reads_it(store, tmp_path):
    st, arrays = store
    export(st, "ctrgcn", tmp_path / "c")
    npz = np.load(tmp_path / "c" / "custom_default.npz")
    assert set(npz.files) == {"x_train", "y_train", "x_test", "y_test"}
    for split, part in (("train", "train"), ("test", "test")):
        data = npz[f"x_{split}"]
        label = np.where(npz[f"y_{split}"] > 0)[1]  # feeder_ntu.py's label read
        idx = st.split("default", part)
        assert label.tolist() == st.samples["label"][idx].tolist()
        n, t, _ = data.shape
        data = data.reshape((n, t, 2, 25, 3)).transpose(0, 4, 1, 3, 2)  # feeder_ntu.py's reshape
        raw = arrays[str(st.samples["name"][idx[0]])]
        assert np.array_equal(data[0][:, :len(raw)], raw.transpose(3, 0, 2, 1))


def test_sgn_h5(store, tmp_path):
    h5py = pytest.importorskip("h5py")
    st, _ = store
    export(st, "sgn", tmp_path / "s")
    with h5py.File(tmp_path / "s" / "custom_default.h5", "r") as f:
        x, y, vx, vy, tx, ty = (f[k][:] for k in ("x", "y", "valid_x", "valid_y", "test_x", "test_y"))
    train = st.split("default", "train")
    assert len(x) + len(vx) == len(train) and len(vx) == int(np.ceil(0.05 * len(train)))
    assert x.shape[1:] == (300, 150) and ty.shape == (len(st.split("default", "test")), 3)
    assert sorted(np.argmax(np.concatenate([y, vy]), -1).tolist()) == sorted(st.samples["label"][train].tolist())
    assert np.argmax(ty, -1).tolist() == st.samples["label"][st.split("default", "test")].tolist()


def test_prefetched_order_errors_and_early_stop():
    from actionkit.export.common import prefetched

    assert list(prefetched(iter(range(50)))) == list(range(50))
    it = prefetched(iter(range(100)))
    assert (next(it), next(it)) == (0, 1)
    it.close()  # the producer thread stops instead of blocking

    def failing():
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        list(prefetched(failing()))
