"""PYSKL annotation pickles -> stores: layouts, 2D scores, splits, bad annotations, the command line."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app
from actionkit.importers import import_pyskl
from actionkit.importers.pyskl import PysklSource, split_part
from actionkit.reports import PrepareError


def annotations_2d(n=6, seed=0):
    rng = np.random.default_rng(seed)
    anns = []
    for i in range(n):
        m, t = 1 + i % 2, 4 + i
        anns.append({"frame_dir": f"clip{i}", "label": i % 3, "total_frames": t, "img_shape": (480, 640),
                     "original_shape": (480, 640),
                     "keypoint": rng.uniform(0, 600, (m, t, 17, 2)).astype(np.float16),
                     "keypoint_score": rng.uniform(0, 1, (m, t, 17)).astype(np.float16)})
    return {"split": {"train": [f"clip{i}" for i in range(0, n, 2)], "val": [f"clip{i}" for i in range(1, n, 2)]},
            "annotations": anns}


def test_split_names():
    assert split_part("xsub_val") == ("xsub", "test") and split_part("xset_train") == ("xset", "train")
    assert split_part("train") == ("default", "train") and split_part("val") == ("default", "test")


def test_2d_import(tmp_path):
    data = annotations_2d()
    (tmp_path / "a.pkl").write_bytes(pickle.dumps(data))
    report = import_pyskl(tmp_path / "a.pkl", tmp_path / "s.zarr")
    store = open_store(tmp_path / "s.zarr")
    assert report.samples == 6 and store.layout.name == "coco17" and store.attrs["max_bodies"] == 2
    assert store.attrs["streams"]["joint"]["channels"] == ["x", "y", "score"]
    assert store.attrs["streams"]["joint"]["units"] == "px"
    assert store.samples["img_height"].tolist() == [480] * 6
    x = store.sample(1, ["joint"])["joint"]
    ann = data["annotations"][1]
    assert np.array_equal(x[:, :2, :, :2], ann["keypoint"].astype(np.float32).transpose(1, 0, 2, 3))
    assert np.array_equal(x[..., 2], ann["keypoint_score"].astype(np.float32).transpose(1, 0, 2))
    assert store.split("default", "test").tolist() == [1, 3, 5]


def test_bad_annotations_skipped_or_fatal(tmp_path):
    data = annotations_2d()
    anns = data["annotations"]
    anns[1]["keypoint"] = anns[1]["keypoint"][:, :, :5]
    anns[2]["label"] = -1
    anns[3]["frame_dir"] = "clip0"
    anns[4]["keypoint"] = anns[4]["keypoint"].astype(np.float32)
    anns[4]["keypoint"][0, 0, 0, 0] = np.nan
    (tmp_path / "a.pkl").write_bytes(pickle.dumps(data))
    report = import_pyskl(tmp_path / "a.pkl", tmp_path / "s.zarr")
    reasons = {s.name: s.reason for s in report.skipped}
    assert report.samples == 2
    assert "expected [M, T, 17, 2]" in reasons["clip1"] and "not a class index" in reasons["clip2"]
    assert "duplicate" in reasons["clip0"] and "non-finite" in reasons["clip4"]
    with pytest.raises(PrepareError, match="clip1"):
        import_pyskl(tmp_path / "a.pkl", tmp_path / "t.zarr", strict=True)


def test_layout_needed_for_unknown_joints(tmp_path):
    data = {"annotations": [{"frame_dir": "a", "label": 0, "keypoint": np.zeros((1, 3, 11, 3), np.float32)}]}
    (tmp_path / "a.pkl").write_bytes(pickle.dumps(data))
    with pytest.raises(ValueError, match="--layout"):
        PysklSource(tmp_path / "a.pkl")


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_cli_import_refuses_code(tmp_path):
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"split": {}, "annotations": [RunsCode()]}))
    result = CliRunner().invoke(app, ["import", "pyskl", str(tmp_path / "evil.pkl"), "--out", str(tmp_path / "s")])
    assert result.exit_code == 1 and "error:" in result.output and "system" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "s").exists()
    (tmp_path / "ok.pkl").write_bytes(pickle.dumps(annotations_2d()))
    result = CliRunner().invoke(app, ["import", "pyskl", str(tmp_path / "ok.pkl"), "--out", str(tmp_path / "s"),
                                      "--layout", "ntu25"])
    assert result.exit_code == 1 and "17 joints but layout ntu25 has 25" in result.output
