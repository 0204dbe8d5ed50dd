"""Encoded (video) streams: per-frame byte records through the writer, resume, and the reader."""

from __future__ import annotations

import numpy as np
import pytest

from actionkit import open_store
from actionkit.reports import Skip
from actionkit.store import IncompleteStoreError, StoreWriter
from actionkit.store.schema import JOURNAL_DIR, EncodedStreamSpec

SPECS = [
    EncodedStreamSpec("rgb", "jpeg"),
    EncodedStreamSpec("flow", "jpeg", parts=2, channels=1, last_frame_empty=True),
]


def make_samples(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = int(rng.integers(1, 9))
        rgb = [(rng.bytes(int(rng.integers(1, 300))),) for _ in range(t)]
        flow = [(rng.bytes(int(rng.integers(1, 50))), rng.bytes(int(rng.integers(1, 50)))) for _ in range(t - 1)]
        out.append({"name": f"v{i:03d}", "label": i % 3, "rgb": rgb, "flow": flow + [(b"", b"")],
                    "skip": bool(rng.random() < 0.1)})
    return out


def writer_for(path, **kw):
    return StoreWriter(path, {"dataset": "toyvideo", "fingerprint": "f"}, [], ("view",), encoded=SPECS,
                       shard_frames=8, chunk_frames=4, **kw)


def feed(writer, samples):
    for s in samples[writer.refs_done:]:
        if s["skip"]:
            writer.add_skip(Skip(s["name"], f"/raw/{s['name']}", "undecodable"))
        else:
            writer.add_sample(s["name"], s["label"], {"view": 1}, {}, {"rgb": s["rgb"], "flow": s["flow"]})


def finish(writer):
    writer.flush()
    attrs = {"dataset": "toyvideo", "kind": "video", "classes": ["a", "b", "c"], "id_fields": ["view"],
             "streams": {s.name: s.as_attrs() for s in SPECS}}
    writer.finish({}, attrs)


def check(store, samples):
    kept = [s for s in samples if not s["skip"]]
    assert len(store) == len(kept)
    for i, s in enumerate(kept):
        assert store.encoded(i, "rgb") == s["rgb"]
        assert store.encoded(i, "flow") == s["flow"]
        frames = len(s["rgb"])
        pick = [frames - 1, 0, frames // 2, 0]
        assert store.encoded(i, "rgb", pick) == [s["rgb"][k] for k in pick]
        assert store.stream("rgb").shape[1:] == (1, 2) and store.stream("flow").shape[1:] == (2, 2)


def test_round_trip_across_shards(tmp_path):
    samples = make_samples(30)
    w = writer_for(tmp_path / "v.zarr")
    feed(w, samples)
    finish(w)
    store = open_store(tmp_path / "v.zarr")
    check(store, samples)
    total = sum(len(b) for s in samples if not s["skip"] for rec in s["rgb"] for b in rec)
    assert store._group["rgb/bytes"].shape == (total,)


@pytest.mark.parametrize("stop_after", [3, 11, 22])
def test_killed_prepare_resumes_to_the_same_bytes(tmp_path, stop_after):
    samples = make_samples(30, seed=1)
    w = writer_for(tmp_path / "v.zarr")
    feed(w, samples[:stop_after])
    w._write_blobs()  # bytes of uncommitted samples reach disk before the kill
    del w
    with pytest.raises(IncompleteStoreError):
        open_store(tmp_path / "v.zarr")
    resumed = writer_for(tmp_path / "v.zarr")
    assert resumed.resumed and resumed.refs_done <= stop_after
    feed(resumed, samples)
    finish(resumed)
    check(open_store(tmp_path / "v.zarr"), samples)
    assert not (tmp_path / "v.zarr" / JOURNAL_DIR).exists()


def test_byte_budget_flushes_without_losing_order(tmp_path):
    samples = make_samples(20, seed=2)
    w = writer_for(tmp_path / "v.zarr", max_buffered_bytes=200)
    feed(w, samples)
    finish(w)
    check(open_store(tmp_path / "v.zarr"), samples)


def test_bad_records_are_refused(tmp_path):
    w = writer_for(tmp_path / "v.zarr")
    with pytest.raises(ValueError, match="has 1 parts, expected 2"):
        w.add_sample("x", 0, {"view": 1}, {}, {"rgb": [(b"a",)], "flow": [(b"a",)]})
    with pytest.raises(ValueError, match="unequal frame counts"):
        w.add_sample("x", 0, {"view": 1}, {}, {"rgb": [(b"a",), (b"b",)], "flow": [(b"", b"")]})
    with pytest.raises(ValueError, match="expected streams"):
        w.add_sample("x", 0, {"view": 1}, {}, {"rgb": [(b"a",)]})
    w.add_sample("y", 0, {"view": 1}, {}, {"rgb": [(b"a",)], "flow": [(b"", b"")]})  # nothing half-added before
    finish(w)
    store = open_store(tmp_path / "v.zarr")
    assert store.samples["name"].tolist() == ["y"] and store.encoded(0, "rgb") == [(b"a",)]


def test_reader_refuses_out_of_range_frames(tmp_path):
    samples = make_samples(4, seed=3)
    for s in samples:
        s["skip"] = False
    w = writer_for(tmp_path / "v.zarr")
    feed(w, samples)
    finish(w)
    store = open_store(tmp_path / "v.zarr")
    with pytest.raises(IndexError, match="out of range"):
        store.encoded(0, "rgb", [len(samples[0]["rgb"])])
    with pytest.raises(KeyError, match="not an encoded stream"):
        store.encoded(0, "view")


def test_per_sample_records(tmp_path):
    spec = EncodedStreamSpec("video", "container", per_sample=True)
    rng = np.random.default_rng(4)
    files = [rng.bytes(int(rng.integers(10, 400))) for _ in range(9)]
    w = StoreWriter(tmp_path / "v.zarr", {"dataset": "clips", "fingerprint": "f"}, [], ("view",), encoded=[spec],
                    shard_frames=8, chunk_frames=4)
    for i, data in enumerate(files[:5]):
        w.add_sample(f"c{i}", 0, {"view": 1}, {}, {"video": [(data,)]}, frames=10 + i)
    w._write_blobs()
    del w  # killed: nothing committed (no shard of frames filled)
    w = StoreWriter(tmp_path / "v.zarr", {"dataset": "clips", "fingerprint": "f"}, [], ("view",), encoded=[spec],
                    shard_frames=8, chunk_frames=4)
    for i, data in enumerate(files[w.refs_done:], start=w.refs_done):
        w.add_sample(f"c{i}", 0, {"view": 1}, {}, {"video": [(data,)]}, frames=10 + i)
    with pytest.raises(ValueError, match="one record"):
        w.add_sample("x", 0, {"view": 1}, {}, {"video": [(b"a",), (b"b",)]}, frames=3)
    w.flush()
    w.finish({}, {"dataset": "clips", "kind": "video", "classes": ["a"], "id_fields": ["view"],
                  "streams": {"video": spec.as_attrs()}})
    store = open_store(tmp_path / "v.zarr")
    assert store.samples["frames"].tolist() == list(range(10, 19))
    assert [store.encoded(i, "video") for i in range(9)] == [[(f,)] for f in files]
    assert store.stream("video").shape == (9, 1, 2)
