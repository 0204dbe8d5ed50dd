"""Video datasets from the command line: prepare, info, verify, show."""

from __future__ import annotations

import cv2
from rawvideo import real_frames, write_nwucla_clip
from typer.testing import CliRunner

from actionkit import open_store
from actionkit.cli.main import app

runner = CliRunner()


def test_prepare_info_verify_show(tmp_path):
    frames = real_frames(4)
    raw = tmp_path / "dl"
    write_nwucla_clip(raw, 1, "a01_s01_e01", frames)
    write_nwucla_clip(raw, 3, "a02_s01_e01", frames[:3])
    out = tmp_path / "nwucla-rgbd.zarr"
    result = runner.invoke(app, ["prepare", "nwucla-rgbd", "--raw", str(raw / "multiview_action"), "--out", str(out),
                                 "--short-side", "48", "--workers", "1", "--streams", "rgb,depth,flow,rgbdiff"])
    assert result.exit_code == 0, result.output
    assert "prepared nwucla-rgbd" in result.output and "split xview" in result.output
    assert open_store(out).samples["frames"].tolist() == [4, 3]

    result = runner.invoke(app, ["info", str(out)])
    assert result.exit_code == 0, result.output
    assert "flow" in result.output and "video" in result.output

    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "encoded stream flow" in result.output

    sheet = tmp_path / "sheet.png"
    result = runner.invoke(app, ["show", str(out), "--sample", "a01_s01_e01_v01", "--out", str(sheet)])
    assert result.exit_code == 0, result.output
    image = cv2.imread(str(sheet))
    assert image.shape[0] == 28 + 4 * 128 and image.shape[1] > 4 * 170  # title + four stream rows
    result = runner.invoke(app, ["show", str(out), "--sample", "nope"])
    assert result.exit_code == 1 and "no sample 'nope'" in result.output


def test_missing_video_download_says_what_to_pass(tmp_path):
    result = runner.invoke(app, ["prepare", "ucf101", "--raw", str(tmp_path / "none"), "--out", str(tmp_path / "u")])
    assert result.exit_code == 1 and "UCF-101/" in result.output and "--raw" in result.output


def test_ucf101_with_splits_alias(tmp_path):
    from rawvideo import write_ucf_tree

    raw = tmp_path / "dl"
    write_ucf_tree(raw, ["v_ApplyEyeMakeup_g08_c01.avi"])
    lists = tmp_path / "ucfTrainTestlist"
    lists.mkdir()
    (lists / "classInd.txt").write_text("1 ApplyEyeMakeup\n")
    (lists / "trainlist01.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\n")
    out = tmp_path / "ucf101.zarr"
    result = runner.invoke(app, ["prepare", "ucf101", "--raw", str(raw / "UCF-101"), "--splits", str(lists),
                                 "--out", str(out), "--short-side", "32", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert open_store(out).split("split1", "train").tolist() == [0]


def test_flow_device_cuda_without_a_gpu_is_one_error_line(tmp_path):
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    raw = tmp_path / "dl"
    write_nwucla_clip(raw, 1, "a01_s01_e01", real_frames(2))
    result = runner.invoke(app, ["prepare", "nwucla-rgbd", "--raw", str(raw / "multiview_action"), "--out",
                                 str(tmp_path / "n.zarr"), "--streams", "flow", "--flow-device", "cuda"])
    assert result.exit_code == 1 and "error:" in result.output and "no CUDA device" in result.output, result.output
    assert "Traceback" not in result.output
