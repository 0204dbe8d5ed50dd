"""A damaged video (truncated download, corrupt packet) is skipped with FFmpeg's message, never
stored with a half-decoded frame. Built from the genuine UCF-101-style clip."""

from __future__ import annotations

import pytest
from realdata import real_path

from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.sources.ucf101 import UCF101Source


def damaged_tree(root, damage):
    clip = real_path("videos", "test.avi").read_bytes()
    folder = root / "UCF-101" / "HandstandPushups"
    folder.mkdir(parents=True)
    (folder / "v_HandStandPushups_g01_c02.avi").write_bytes(damage(bytearray(clip)))
    (folder / "v_HandStandPushups_g02_c01.avi").write_bytes(clip)
    (root / "classInd.txt").write_text("".join(f"{i} C{i}\n" for i in range(1, 37)) + "37 HandstandPushups\n")
    (root / "testlist01.txt").write_text("HandstandPushups/v_HandstandPushups_g01_c02.avi\n"
                                         "HandstandPushups/v_HandstandPushups_g02_c01.avi\n")
    return root


def truncate(data):
    return bytes(data[: len(data) * 3 // 10 + 777])  # FFmpeg: "Packet corrupt", "Error at MB"


def corrupt(data):
    for i in range(100_000, 100_400):  # a burst of bad bytes inside a packet: "ac-tex damaged"
        data[i] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize("damage", [truncate, corrupt])
def test_damaged_video_is_skipped_with_the_decoders_message(tmp_path, damage):
    raw = damaged_tree(tmp_path / "ucf", damage)
    report = prepare_video(UCF101Source(raw), tmp_path / "u.zarr", streams=("rgb",),
                           settings=VideoSettings(short_side=48), workers=1)
    assert report.samples == 1, report.skipped  # before: 2, the damaged one with a half-decoded frame
    (skip,) = report.skipped
    assert skip.path.endswith("v_HandStandPushups_g01_c02.avi") and "damaged" in skip.reason
    assert "FFmpeg reported" in skip.reason, skip.reason
