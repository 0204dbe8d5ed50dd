"""Raw video trees -> video stores: frames, depth, flow, splits, bad input, resume, workers."""

from __future__ import annotations

import numpy as np
import pytest
from rawvideo import real_frames, synthetic_depth, write_nwucla_clip, write_ucf_tree

import actionkit.prepare.video as pv
from actionkit import open_store
from actionkit.prepare import PrepareError
from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.sources.nwucla_video import NWUCLAVideoSource
from actionkit.store.inspect import verify_store

SMALL = VideoSettings(short_side=48, min_frames=2)  # 64x48 frames keep TV-L1 fast


@pytest.fixture(scope="module")
def frames():
    return real_frames(6)


@pytest.fixture()
def nwucla(tmp_path, frames):
    raw = tmp_path / "raw"
    write_nwucla_clip(raw, 1, "a01_s01_e01", frames[:4])
    write_nwucla_clip(raw, 2, "a03_s02_e01", frames[:5], rgb_numbers=[0, 1, 2, 3, 4], depth_numbers=[0, 1, 2, 4])
    write_nwucla_clip(raw, 3, "a05_s03_e02", frames[:3])
    write_nwucla_clip(raw, 3, "a06_s03_e02", frames[:1])  # one frame: shorter than min_frames
    bad = write_nwucla_clip(raw, 3, "a08_s04_e01", frames[:3])
    sorted(bad.glob("frame_2_*_depth.png"))[0].write_bytes(b"\x89PNG broken")
    return raw


def source_rgb(raw, view: int, clip: str, number: int, short: int) -> np.ndarray:
    """A raw NW-UCLA frame file, decoded and resized as the pipeline does (before its JPEG)."""
    from actionkit.codecs.images import decode_image
    from actionkit.video.images import resize_short_side

    path = next((raw / "multiview_action" / f"view_{view}" / clip).glob(f"frame_{number}_tc_*_rgb.jpg"))
    return resize_short_side(decode_image(path.read_bytes()), short, interpolation="area")


def stored_rgb(image: np.ndarray) -> np.ndarray:
    from actionkit.codecs.images import decode_image, encode_jpeg

    return decode_image(encode_jpeg(image, 95))


def test_nwucla_rgbd_store(tmp_path, nwucla, frames):
    from actionkit.video.flow import TVL1, quantize_flow
    from actionkit.video.images import resize_short_side, rgb_to_grey

    out = tmp_path / "nwucla-rgbd.zarr"
    report = prepare_video(NWUCLAVideoSource(nwucla), out, streams=("rgb", "depth", "flow"), settings=SMALL,
                           workers=1)
    store = open_store(out)
    assert store.samples["name"].tolist() == ["a01_s01_e01_v01", "a03_s02_e01_v02", "a05_s03_e02_v03"]
    assert store.samples["frames"].tolist() == [4, 4, 3]
    assert store.samples["height"].tolist() == [48] * 3 and store.samples["width"].tolist() == [64] * 3
    assert {s.name: s.reason for s in report.skipped} == {
        "a06_s03_e02_v03": "1 frames, fewer than the minimum of 2",
        "a08_s04_e01_v03": report.skipped[1].reason}
    assert "frame_2_" in report.skipped[1].reason and "_depth.png" in report.skipped[1].reason
    assert [n.note for n in report.notes] == ["5 rgb, 4 depth frames: 4 kept (frame-number alignment)"]
    assert store.split("xview", "train").tolist() == [0, 1] and store.split("xview", "test").tolist() == [2]
    assert store.attrs["kind"] == "video" and store.attrs["streams"]["flow"]["quantization"]["bound"] == 20.0

    # RGB: the resized source frames through one JPEG (quality 95), bit for bit, in order.
    rgb = store.images(0, "rgb")
    assert rgb.shape == (4, 48, 64, 3)
    sources = [source_rgb(nwucla, 1, "a01_s01_e01", n, 48) for n in range(4)]
    np.testing.assert_array_equal(rgb, np.stack([stored_rgb(x) for x in sources]))
    # Depth: lossless, nearest-neighbour resized; frame numbers 0, 1, 2, 4 of the second clip.
    depth = store.images(1, "depth")
    want = [resize_short_side(synthetic_depth(n), 48, interpolation="nearest") for n in (0, 1, 2, 4)]
    np.testing.assert_array_equal(depth, np.stack(want))
    # Flow: TV-L1 on the same resized grey frames, quantised; stored losslessly (PNG), so equal.
    flow = store.images(0, "flow", [0, 1, 2])
    assert flow.shape == (3, 48, 64, 2)
    greys = [rgb_to_grey(x) for x in sources]
    tvl1 = TVL1()
    for t in range(3):
        want = quantize_flow(tvl1(greys[t], greys[t + 1]))
        assert np.abs(flow[t].astype(int) - want.astype(int)).max() <= 1
    with pytest.raises(ValueError, match="T-1 flow frames"):
        store.images(0, "flow", [3])
    assert verify_store(out).ok


def test_workers_give_the_same_store(tmp_path, nwucla):
    one = prepare_video(NWUCLAVideoSource(nwucla), tmp_path / "a.zarr", streams=("rgb", "depth"), settings=SMALL,
                        workers=1)
    two = prepare_video(NWUCLAVideoSource(nwucla), tmp_path / "b.zarr", streams=("rgb", "depth"), settings=SMALL,
                        workers=2)
    a, b = open_store(tmp_path / "a.zarr"), open_store(tmp_path / "b.zarr")
    assert one.samples == two.samples == 3
    for i in range(len(a)):
        assert a.encoded(i, "rgb") == b.encoded(i, "rgb") and a.encoded(i, "depth") == b.encoded(i, "depth")


def test_strict_stops_at_the_first_bad_sample(tmp_path, nwucla):
    with pytest.raises(PrepareError, match="a06_s03_e02"):
        prepare_video(NWUCLAVideoSource(nwucla), tmp_path / "s.zarr", streams=("rgb",), settings=SMALL,
                      workers=1, strict=True)


def test_interrupted_prepare_resumes(tmp_path, nwucla, monkeypatch):
    monkeypatch.setattr(pv, "VIDEO_SHARD_FRAMES", 4)
    monkeypatch.setattr(pv, "VIDEO_CHUNK_FRAMES", 2)
    out = tmp_path / "r.zarr"
    calls = []

    def stop_after_two(n):
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        prepare_video(NWUCLAVideoSource(nwucla), out, streams=("rgb", "depth"), settings=SMALL, workers=1,
                      on_progress=stop_after_two)
    report = prepare_video(NWUCLAVideoSource(nwucla), out, streams=("rgb", "depth"), settings=SMALL, workers=1)
    assert report.resumed_from > 0
    fresh = prepare_video(NWUCLAVideoSource(nwucla), tmp_path / "f.zarr", streams=("rgb", "depth"), settings=SMALL,
                          workers=1)
    a, b = open_store(out), open_store(tmp_path / "f.zarr")
    assert report.samples == fresh.samples and a.samples["name"].tolist() == b.samples["name"].tolist()
    for i in range(len(a)):
        assert a.encoded(i, "rgb") == b.encoded(i, "rgb")


def test_streams_the_dataset_cannot_give_are_refused(tmp_path):
    from actionkit.sources.ucf101 import UCF101Source

    raw = tmp_path / "ucf"
    write_ucf_tree(raw, ["v_ApplyEyeMakeup_g08_c01.avi"])
    (raw / "classInd.txt").write_text("1 ApplyEyeMakeup\n")
    with pytest.raises(ValueError, match="no depth videos"):
        prepare_video(UCF101Source(raw), tmp_path / "u.zarr", streams=("rgb", "depth"), workers=1)


def test_ucf101_store_matches_a_sequential_decode(tmp_path):
    import av
    from realdata import real_path

    from actionkit.sources.ucf101 import UCF101Source
    from actionkit.video.images import resize_short_side

    raw = tmp_path / "ucf"
    write_ucf_tree(raw, ["v_HandStandPushups_g01_c02.avi"])
    (raw / "classInd.txt").write_text("".join(f"{i} C{i}\n" for i in range(1, 37)) + "37 HandstandPushups\n")
    (raw / "testlist01.txt").write_text("HandstandPushups/v_HandstandPushups_g01_c02.avi\n")
    out = tmp_path / "ucf101.zarr"
    report = prepare_video(UCF101Source(raw), out, streams=("rgb",), settings=VideoSettings(short_side=48),
                           workers=1)
    store = open_store(out)
    assert report.samples == 1 and store.samples["label"].tolist() == [36]
    assert store.split("split1", "test").tolist() == [0]
    assert store.samples["frames"].tolist() == [164] and store.samples["fps_milli"].tolist() == [25000]
    with av.open(str(real_path("videos", "test.avi"))) as container:
        sequential = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    segments = np.linspace(0, 163, 8).round().astype(int)
    got = store.images(0, "rgb", segments)
    for k, t in enumerate(segments):
        errors = [np.abs(got[k].astype(int) - resize_short_side(sequential[u], 48).astype(int)).mean()
                  for u in range(max(0, t - 2), min(164, t + 3))]
        assert int(np.argmin(errors)) == min(t, 2) and min(errors) < 3.0, (t, errors)


def test_flow_as_jpeg_is_close_to_the_quantised_flow(tmp_path, nwucla):
    from actionkit.video.flow import TVL1, quantize_flow
    from actionkit.video.images import rgb_to_grey

    settings = VideoSettings(short_side=48, min_frames=2, flow_codec="jpeg", jpeg_quality=100)
    prepare_video(NWUCLAVideoSource(nwucla), tmp_path / "j.zarr", streams=("flow",), settings=settings, workers=1)
    store = open_store(tmp_path / "j.zarr")
    assert store.attrs["streams"]["flow"]["codec"] == "jpeg" and store.attrs["video"]["flow_codec"] == "jpeg"
    greys = [rgb_to_grey(source_rgb(nwucla, 1, "a01_s01_e01", n, 48)) for n in range(4)]
    want = np.stack([quantize_flow(TVL1()(greys[t], greys[t + 1])) for t in range(3)])
    diff = np.abs(store.images(0, "flow").astype(int) - want.astype(int))
    assert diff.max() <= 2 and (diff > 1).mean() < 1e-3, (diff.max(), (diff > 1).mean())


def test_undecodable_and_empty_videos_are_skipped_with_their_path(tmp_path):
    from realdata import real_path

    from actionkit.sources.ucf101 import UCF101Source

    raw = tmp_path / "ucf"
    write_ucf_tree(raw, ["v_ApplyEyeMakeup_g01_c01.avi", "v_ApplyEyeMakeup_g01_c02.avi",
                         "v_ApplyEyeMakeup_g01_c03.avi"])
    folder = raw / "UCF-101" / "ApplyEyeMakeup"
    (folder / "v_ApplyEyeMakeup_g01_c02.avi").write_bytes(real_path("videos", "test.avi").read_bytes()[:4096])
    (folder / "v_ApplyEyeMakeup_g01_c03.avi").write_bytes(b"")
    (raw / "classInd.txt").write_text("1 ApplyEyeMakeup\n")
    report = prepare_video(UCF101Source(raw), tmp_path / "u.zarr", streams=("rgb",),
                           settings=VideoSettings(short_side=32), workers=1)
    assert report.samples == 1
    reasons = {s.name: s.reason for s in report.skipped}
    assert set(reasons) == {"v_ApplyEyeMakeup_g01_c02", "v_ApplyEyeMakeup_g01_c03"}
    assert "v_ApplyEyeMakeup_g01_c03.avi: empty file" in reasons["v_ApplyEyeMakeup_g01_c03"]
    assert "v_ApplyEyeMakeup_g01_c02.avi" in reasons["v_ApplyEyeMakeup_g01_c02"]
    assert open_store(tmp_path / "u.zarr").attrs["skipped"][0]["path"].endswith("v_ApplyEyeMakeup_g01_c02.avi")


def test_progress_counts_frames_as_they_are_done(tmp_path, nwucla):
    """Frames are counted one by one inside a sample, and across worker processes."""
    from actionkit.sources.base import VideoClip

    events = []

    def frames_read(n):
        for t in range(n):
            events.append(("read", t))
            yield np.full((48, 64, 3), 10 * t, np.uint8)

    clip = VideoClip(fps=10.0, modalities={"rgb": frames_read(3)})
    pv.encode_clip(clip, ("rgb",), SMALL, None, on_frame=lambda: events.append(("done", len(events))))
    assert [e[0] for e in events] == ["read", "done"] * 3
    counted = []
    report = prepare_video(NWUCLAVideoSource(nwucla), tmp_path / "p.zarr", streams=("rgb",), settings=SMALL,
                           workers=2, on_frames=counted.append)
    # 4 + 5 + 3 + 3 stored, and the one-frame clip decoded before min_frames skipped it
    assert report.frames == 15 and sum(counted) == 16 and all(n > 0 for n in counted)
