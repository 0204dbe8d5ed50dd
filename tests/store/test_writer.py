"""StoreWriter + reader: round trip, shard-crossing samples, resume, refusal to clobber."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actionkit import open_store
from actionkit.layouts import NTU25
from actionkit.reports import Skip
from actionkit.store import IncompleteStoreError, StoreError, StoreExistsError, StoreWriter
from actionkit.store.reader import layout_to_attrs
from actionkit.store.schema import JOURNAL_DIR, skeleton_streams

IDS = ("camera", "performer")


def make_samples(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = int(rng.integers(1, 12))
        out.append({
            "name": f"s{i:03d}",
            "label": int(rng.integers(0, 3)),
            "ids": {"camera": int(rng.integers(1, 4)), "performer": i},
            "joint": rng.standard_normal((t, 2, 25, 3)).astype(np.float32),
            "skip": bool(rng.random() < 0.15),
        })
    return out


def writer_for(path, overwrite=False, identity=None):
    specs = skeleton_streams(("joint",), 2, 25)
    return StoreWriter(path, identity or {"dataset": "toy", "fingerprint": "abc"}, specs, IDS,
                       overwrite=overwrite, shard_frames=16, chunk_frames=4)


def attrs_for(n_classes=3):
    return {"dataset": "toy", "kind": "skeleton", "classes": [f"c{i}" for i in range(n_classes)],
            "layout": layout_to_attrs(NTU25), "streams": {"joint": {"dtype": "float32"}}, "id_fields": list(IDS)}


def feed(writer, samples):
    for s in samples[writer.refs_done:]:
        if s["skip"]:
            writer.add_skip(Skip(s["name"], f"/raw/{s['name']}", "bad"))
        else:
            writer.add_sample(s["name"], s["label"], s["ids"], {"joint": s["joint"]})


def finish(writer):
    writer.flush()
    cols = writer.columns
    splits = {"xcam": {"train": np.flatnonzero(cols["camera"] != 1), "test": np.flatnonzero(cols["camera"] == 1)}}
    writer.finish(splits, attrs_for())


def test_round_trip_across_shards(tmp_path):
    samples = make_samples(40)
    w = writer_for(tmp_path / "s.zarr")
    feed(w, samples)
    finish(w)
    store = open_store(tmp_path / "s.zarr")
    kept = [s for s in samples if not s["skip"]]
    assert len(store) == len(kept)
    assert store.stream("joint").shape[0] == sum(len(s["joint"]) for s in kept) > 3 * 16
    for i, s in enumerate(kept):
        got = store.sample(i)
        assert got["name"] == s["name"] and got["label"] == s["label"]
        assert got["camera"] == s["ids"]["camera"] and got["performer"] == s["ids"]["performer"]
        np.testing.assert_array_equal(got["joint"], s["joint"])
    assert [sk.name for sk in w.skips] == [s["name"] for s in samples if s["skip"]]
    cams = store.samples["camera"]
    np.testing.assert_array_equal(store.split("xcam", "test"), np.flatnonzero(cams == 1))
    assert not (tmp_path / "s.zarr" / JOURNAL_DIR).exists()
    whole = store.load_stream("joint")
    np.testing.assert_array_equal(whole, np.concatenate([s["joint"] for s in kept]))


@pytest.mark.parametrize("stop_after", [3, 17, 29])
def test_resume_after_interruption_gives_identical_store(tmp_path, stop_after):
    samples = make_samples(40, seed=1)
    ref = writer_for(tmp_path / "ref.zarr")
    feed(ref, samples)
    finish(ref)

    w = writer_for(tmp_path / "cut.zarr")
    feed(w, samples[:stop_after])
    del w  # killed: nothing flushed beyond the last whole shard
    with pytest.raises(IncompleteStoreError):
        open_store(tmp_path / "cut.zarr")
    resumed = writer_for(tmp_path / "cut.zarr")
    assert resumed.resumed and resumed.refs_done <= stop_after
    feed(resumed, samples)
    finish(resumed)

    a, b = open_store(tmp_path / "ref.zarr"), open_store(tmp_path / "cut.zarr")
    assert a.samples.keys() == b.samples.keys()
    for key in a.samples:
        np.testing.assert_array_equal(a.samples[key], b.samples[key])
    np.testing.assert_array_equal(a.load_stream("joint"), b.load_stream("joint"))
    assert a.splits["xcam"]["train"].tolist() == b.splits["xcam"]["train"].tolist()
    assert [s.name for s in ref.skips] == [s.name for s in resumed.skips]


def test_resume_drops_rows_written_after_the_last_state(tmp_path):
    samples = make_samples(40, seed=2)
    w = writer_for(tmp_path / "s.zarr")
    feed(w, samples[:30])
    journal = tmp_path / "s.zarr" / JOURNAL_DIR
    # A kill between appending rows and replacing state.json leaves extra rows behind.
    with open(journal / "rows.jsonl", "a") as fh:
        fh.write(json.dumps({"type": "sample", "row": {"name": "ghost"}}) + "\n")
    w.close()  # killed: its lock goes with it
    resumed = writer_for(tmp_path / "s.zarr")
    feed(resumed, samples)
    finish(resumed)
    assert "ghost" not in open_store(tmp_path / "s.zarr").samples["name"].tolist()


def test_partial_store_from_other_input_is_not_resumed(tmp_path):
    w = writer_for(tmp_path / "s.zarr")
    feed(w, make_samples(30))
    w.close()  # killed
    with pytest.raises(StoreError, match="other input"):
        writer_for(tmp_path / "s.zarr", identity={"dataset": "toy", "fingerprint": "different"})
    fresh = writer_for(tmp_path / "s.zarr", overwrite=True, identity={"dataset": "toy", "fingerprint": "different"})
    assert fresh.refs_done == 0 and not fresh.resumed


def test_complete_store_is_not_replaced_without_overwrite(tmp_path):
    w = writer_for(tmp_path / "s.zarr")
    feed(w, make_samples(5))
    finish(w)
    with pytest.raises(StoreExistsError, match="--overwrite"):
        writer_for(tmp_path / "s.zarr")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "file.txt").write_text("not a store")
    with pytest.raises(StoreError, match="not an actionkit store"):
        writer_for(tmp_path / "other")


def test_empty_store(tmp_path):
    w = writer_for(tmp_path / "s.zarr")
    w.add_skip(Skip("x", "/raw/x", "bad"))
    finish(w)
    store = open_store(tmp_path / "s.zarr")
    assert len(store) == 0 and store.stream("joint").shape == (0, 2, 25, 3)


def test_reader_errors_name_the_problem(tmp_path):
    with pytest.raises(StoreError, match="no such store"):
        open_store(tmp_path / "nope.zarr")
    w = writer_for(tmp_path / "s.zarr")
    feed(w, make_samples(5))
    finish(w)
    store = open_store(tmp_path / "s.zarr")
    with pytest.raises(KeyError, match="no stream 'bone'"):
        store.stream("bone")
    with pytest.raises(KeyError, match="no split"):
        store.split("xsub", "train")
    with pytest.raises(IndexError):
        store.sample(len(store))


def test_notes_are_resumed_once_with_their_samples(tmp_path):
    from actionkit.reports import Note

    samples = make_samples(40, seed=3)

    def feed_with_notes(writer, upto):
        for s in samples[writer.refs_done:upto]:
            if s["skip"]:
                writer.add_skip(Skip(s["name"], f"/raw/{s['name']}", "bad"))
            else:  # as the pipeline does: the note right after its sample
                writer.add_sample(s["name"], s["label"], s["ids"], {"joint": s["joint"]})
                writer.add_note(Note(s["name"], f"/raw/{s['name']}", "a note"))

    ref = writer_for(tmp_path / "ref.zarr")
    feed_with_notes(ref, 40)
    finish(ref)
    w = writer_for(tmp_path / "cut.zarr")
    feed_with_notes(w, 30)
    del w  # killed
    resumed = writer_for(tmp_path / "cut.zarr")
    feed_with_notes(resumed, 40)
    finish(resumed)
    names = open_store(tmp_path / "cut.zarr").samples["name"].tolist()
    assert names == open_store(tmp_path / "ref.zarr").samples["name"].tolist()
    assert [n.name for n in resumed.notes] == [n.name for n in ref.notes] == names  # each once, in order
