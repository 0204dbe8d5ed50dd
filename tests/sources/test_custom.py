"""Custom skeleton datasets: sample file shapes, the labels file, bad input, 2D keypoints, training graph."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app
from actionkit.layouts import KINECT_V1_20, get_layout
from actionkit.prepare import PrepareError, prepare
from actionkit.sources.base import SampleError
from actionkit.sources.custom import CustomSource, read_labels, to_frames


def test_shapes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 2, 20, 3))
    flat = x.reshape(6, -1)
    assert np.allclose(to_frames(flat, 20, False), x)  # frames x (bodies*joints*channels)
    with_frame_no = np.concatenate([np.arange(6)[:, None] + 30, flat], axis=1)
    assert np.allclose(to_frames(with_frame_no, 20, False), x)  # UTKinect: a leading frame number
    rows = np.concatenate([x[:, 0].reshape(-1, 3), np.ones((120, 1))], axis=1)
    assert np.allclose(to_frames(rows, 20, False), x[:, :1])  # MSR Action3D: x y z c, one joint a row
    assert np.allclose(to_frames(x[:, 0], 20, False), x[:, :1])  # [T, V, C]
    xy = to_frames(rng.standard_normal((4, 17, 2)), 17, True)
    assert xy.shape == (4, 1, 17, 3) and np.all(xy[..., 2] == 1)  # 2D without a score: score 1
    with pytest.raises(SampleError, match=r"a 6 x 7 matrix"):
        to_frames(np.zeros((6, 7)), 20, False)
    with pytest.raises(SampleError, match=r"shape \(6, 2, 19, 3\)"):
        to_frames(np.zeros((6, 2, 19, 3)), 20, False)


def test_labels_file(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text("name\tlabel\txsub\tsubject\n# comment\na\twalk\ttrain\t1\nb\tsit\ttest\t2\nc\tfly\ttest\t2\n"
                    "d\twalk\ttrain\t3\nd\tsit\ttrain\t3\n")
    table = read_labels(path, classes=["sit", "walk"])
    assert table.labels == {"a": 1, "b": 0} and table.id_fields == ("subject",) and table.protocols == ("xsub",)
    assert "unknown label 'fly'" in table.problems["c"] and "twice" in table.problems["d"]
    assert table.parts["a"] == {"xsub": "train"} and table.ids["b"] == {"subject": 2}
    (tmp_path / "plain.csv").write_text("a,2,train\nb,0,test\n")
    plain = read_labels(tmp_path / "plain.csv")
    assert plain.classes == ("0", "1", "2") and plain.labels == {"a": 2, "b": 0} and plain.protocols == ("default",)
    (tmp_path / "bad.csv").write_text("name,label\na,1,extra\n")
    with pytest.raises(ValueError, match="row 2 has 3 cells"):
        read_labels(tmp_path / "bad.csv")


def write_dataset(root, rng):
    files = root / "files"
    (files / "sub").mkdir(parents=True)
    good = {}
    for i in range(6):
        x = rng.standard_normal((5 + i, 20, 3))
        good[f"g{i}"] = x
        if i % 3 == 0:
            np.savetxt(files / f"g{i}.txt", np.concatenate([np.arange(len(x))[:, None], x.reshape(len(x), -1)], 1))
        elif i % 3 == 1:
            np.savetxt(files / "sub" / f"g{i}.csv", x.reshape(len(x), -1), delimiter=",")
        else:
            np.savez(files / f"g{i}.npz", skeleton=x, other=np.zeros(3))
    np.save(files / "wrongshape.npy", np.zeros((5, 19, 3)))
    nan = rng.standard_normal((5, 20, 3))
    nan[2, 3, 1] = np.nan
    np.save(files / "nonfinite.npy", nan)
    np.save(files / "unlisted.npy", rng.standard_normal((5, 20, 3)))
    np.save(files / "badlabel.npy", rng.standard_normal((5, 20, 3)))
    (files / "g0.npy").write_bytes((files / "wrongshape.npy").read_bytes())  # a second file named g0
    rows = ["name,label,split,subject"] + [f"g{i},{'ab'[i % 2]},{'train' if i < 4 else 'test'},{i}" for i in range(6)]
    rows += ["wrongshape,a,train,9", "nonfinite,a,train,9", "badlabel,zz,train,9", "nofile,a,train,9"]
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return good


def test_prepare_custom_bad_input_and_strict(tmp_path):
    good = write_dataset(tmp_path, np.random.default_rng(1))
    source = CustomSource([tmp_path / "files"], KINECT_V1_20, tmp_path / "labels.csv", classes=["a", "b"])
    report = prepare(source, tmp_path / "c.zarr", workers=0)
    store = open_store(tmp_path / "c.zarr")
    assert store.samples["name"].tolist() == [f"g{i}" for i in range(1, 6)]
    for i, name in enumerate(store.samples["name"]):
        assert np.allclose(store.sample(i, ["joint"])["joint"][:, 0], good[name], atol=1e-6)
    reasons = {s.name: s.reason for s in report.skipped}
    assert "(5, 1, 19, 3)" in reasons["wrongshape"] and "non-finite" in reasons["nonfinite"]
    assert "not in the labels file" in reasons["unlisted"] and "unknown label 'zz'" in reasons["badlabel"]
    assert "2 files have this name" in reasons["g0"]
    assert any("1 names of the labels file have no sample file (e.g. nofile)" in w for w in report.warnings)
    assert store.split("default", "test").tolist() == [3, 4] and store.samples["subject"].tolist() == [1, 2, 3, 4, 5]
    with pytest.raises(PrepareError):
        prepare(CustomSource([tmp_path / "files"], KINECT_V1_20, tmp_path / "labels.csv"), tmp_path / "d.zarr",
                workers=0, strict=True)


def test_cli_custom_2d_json_layout_and_graph(tmp_path):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    (tmp_path / "files").mkdir()
    for i in range(4):
        kp = np.concatenate([rng.uniform(0, 300, (8, 2, 5, 2)), rng.uniform(0, 1, (8, 2, 5, 1))], -1)
        np.save(tmp_path / "files" / f"p{i}.npy", kp)
    (tmp_path / "labels.csv").write_text("".join(f"p{i},{i % 2},{'train' if i < 2 else 'test'}\n" for i in range(4)))
    layout = {"name": "hand5", "joint_names": ["wrist", "thumb", "index", "middle", "ring"], "center": "wrist",
              "bones": [["thumb", "wrist"], ["index", "wrist"], ["middle", "wrist"], ["ring", "middle"]],
              "channels": ["x", "y", "score"]}
    (tmp_path / "hand5.json").write_text(json.dumps(layout))
    result = CliRunner().invoke(app, ["prepare", "custom", "--raw", str(tmp_path / "files"), "--labels",
                                      str(tmp_path / "labels.csv"), "--layout", str(tmp_path / "hand5.json"),
                                      "--out", str(tmp_path / "h.zarr")])
    assert result.exit_code == 0, result.output
    store = open_store(tmp_path / "h.zarr")
    assert store.layout.name == "hand5" and store.layout.parents == (0, 0, 0, 0, 3)
    assert store.attrs["streams"]["joint"]["channels"] == ["x", "y", "score"] and store.attrs["max_bodies"] == 2
    from actionkit.models import build_backbone

    net = build_backbone("stgcn16", store.layout, max_bodies=2)
    assert net(torch.zeros(2, 3, 8, 5, 2)).shape[0] == 2  # the graph is the store's 5-joint layout
    result = CliRunner().invoke(app, ["prepare", "custom", "--raw", str(tmp_path / "files"), "--labels",
                                      str(tmp_path / "labels.csv"), "--out", str(tmp_path / "x.zarr")])
    assert result.exit_code == 1 and "error:" in result.output and "--layout" in result.output


def test_builtin_2d_layout_means_scores(tmp_path):
    (tmp_path / "f").mkdir()
    np.save(tmp_path / "f" / "a.npy", np.ones((3, 17, 3)))
    (tmp_path / "l.csv").write_text("a,0,train\n")
    source = CustomSource([tmp_path / "f"], get_layout("coco17"), tmp_path / "l.csv")
    assert source.channels == ("x", "y", "score") and source.units == "px"
