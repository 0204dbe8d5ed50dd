"""The procedural NTU RGB+D generator writes files in the genuine ``.skeleton`` layout."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from realdata import real_files, real_path

from actionkit import synthetic
from actionkit.synthetic import (
    ACTIONS,
    NTU60_XSUB_TRAIN_PERFORMERS,
    format_number,
    generate_file_bytes,
    generate_ntu_dataset,
    generate_sample,
)

NAME_RE = re.compile(r"^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})\.skeleton$")
# A number as the Kinect SDK writes it: no trailing zeros, capital E with two digits.
NUMBER_RE = re.compile(r"^-?(0|[1-9]\d*)(\.\d*[1-9])?(E[-+]\d\d)?$")
TWO_PERSON = [a for a, act in ACTIONS.items() if act.persons == 2]


# --------------------------------------------------------------------------- a plain reader


def read_skeleton(data: bytes) -> list[list[dict]]:
    """Parse a ``.skeleton`` file strictly: frames -> bodies -> {id, info, joints}."""
    text = data.decode("ascii")
    assert text.endswith("\r\n"), "file must end with CRLF"
    assert text.count("\n") == text.count("\r\n"), "every line must end with CRLF"
    assert "\r\r" not in text
    lines = text.split("\r\n")[:-1]
    pos = 0

    def take() -> str:
        nonlocal pos
        line = lines[pos]
        pos += 1
        return line

    n_frames = int(take())
    frames = []
    for _ in range(n_frames):
        n_bodies = int(take())
        assert n_bodies >= 0
        bodies = []
        for _ in range(n_bodies):
            info = take().split(" ")
            assert len(info) == 10, info
            assert re.fullmatch(r"\d{17}", info[0]), f"bodyID {info[0]} is not 17 digits"
            assert all(re.fullmatch(r"\d+", t) for t in info[1:7] + info[9:]), info
            assert take() == "25"
            joints = []
            for _ in range(25):
                fields = take().split(" ")
                assert len(fields) == 12, fields
                assert fields[11] in ("0", "1", "2")
                joints.append([float(t) for t in fields])
            joints = np.array(joints)
            assert np.isfinite(joints).all()
            lean = [float(info[7]), float(info[8])]
            assert all(math.isfinite(v) and -1 <= v <= 1 for v in lean)
            bodies.append({"id": int(info[0]), "info": info, "joints": joints})
        frames.append(bodies)
    assert pos == len(lines), "trailing lines after the last frame"
    return frames


def tracks_of(frames: list[list[dict]]) -> dict[int, list[tuple[int, np.ndarray]]]:
    out: dict[int, list[tuple[int, np.ndarray]]] = {}
    for f, bodies in enumerate(frames):
        for b in bodies:
            out.setdefault(b["id"], []).append((f, b["joints"]))
    return out


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> list[Path]:
    return generate_ntu_dataset(tmp_path_factory.mktemp("ntu"), samples_per_class=4, seed=7)


@pytest.fixture(scope="module")
def parsed(dataset) -> dict[str, list[list[dict]]]:
    return {p.name: read_skeleton(p.read_bytes()) for p in dataset}


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    "value, text",
    [
        (0.0, "0"),
        (-0.0, "0"),
        (2.0, "2"),
        (25, "25"),
        (0.2058097, "0.2058097"),
        (276.0976, "276.0976"),
        (1184.5371, "1184.537"),
        (-0.008176846, "-0.008176846"),
        (0.0001482497, "0.0001482497"),
        (-7.257856e-05, "-7.257856E-05"),
        (5.861595e-06, "5.861595E-06"),
        (1e-5, "1E-05"),
        (0.1, "0.1"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_format_number_rejects_non_finite(value):
    with pytest.raises(ValueError):
        format_number(value)


def test_format_number_reproduces_every_genuine_token():
    """Every decimal in the genuine files is re-written identically from its float32 value."""
    files = real_files("ntu", "skeletons", pattern="*.skeleton")
    assert files
    count = 0
    for path in files:
        for line in path.read_bytes().decode("ascii").split("\r\n"):
            toks = line.split(" ")
            decimals = toks[:11] if len(toks) == 12 else toks[7:9] if len(toks) == 10 else []
            for tok in decimals:
                assert format_number(float(np.float32(tok))) == tok
                count += 1
    assert count > 10_000


def test_format_skeleton_file_layout():
    xyz = np.tile(np.linspace(0.1, 1.0, 75).reshape(1, 25, 3), (3, 1, 1)) + [0.0, 0.0, 2.5]
    track = synthetic.BodyTrack(body_id=72057594037931648, start=1, xyz=xyz)
    data = synthetic.format_tracks(5, [track])
    frames = read_skeleton(data)
    assert [len(f) for f in frames] == [0, 1, 1, 1, 0]
    assert frames[1][0]["id"] == 72057594037931648  # exact, above 2**53
    assert data.startswith(b"5\r\n0\r\n1\r\n72057594037931648 0 ")
    lf = synthetic.format_tracks(5, [track], newline="\n")
    assert lf == data.replace(b"\r\n", b"\n")
    with pytest.raises(ValueError):
        synthetic.format_tracks(3, [track])  # runs past the last frame
    bad = synthetic.BodyTrack(body_id=1, start=0, xyz=np.full((1, 25, 3), np.nan))
    with pytest.raises(ValueError):
        synthetic.format_tracks(1, [bad])


def test_format_skeleton_file_per_frame_bodies():
    xyz = np.linspace(0.1, 1.0, 75).reshape(25, 3) + [0.0, 0.0, 2.5]
    frames = [
        [],
        [{"id": 72057594037931648, "xyz": xyz}],
        [
            synthetic.Body(body_id=72057594037931650, xyz=xyz + 0.5, joint_state=np.ones(25), hand=(1, 3, 0, 0)),
            {"body_id": 72057594037931648, "xyz": xyz, "lean": (0.25, -0.5)},
        ],
    ]
    data = synthetic.format_skeleton_file(frames)
    parsed = read_skeleton(data)
    assert [[b["id"] for b in f] for f in parsed] == [[], [72057594037931648], [72057594037931650, 72057594037931648]]
    assert parsed[2][0]["info"][2:6] == ["1", "3", "0", "0"]
    assert parsed[2][1]["info"][7:9] == ["0.25", "-0.5"]
    assert (parsed[2][0]["joints"][:, 11] == 1).all() and (parsed[1][0]["joints"][:, 11] == 2).all()
    np.testing.assert_allclose(parsed[1][0]["joints"][:, :3], xyz, rtol=1e-6)
    # the same body written through the track writer gives the same text
    track = synthetic.BodyTrack(body_id=72057594037931648, start=1, xyz=xyz[None])
    assert synthetic.format_tracks(2, [track]) == synthetic.format_skeleton_file(frames[:2])


# --------------------------------------------------------------------------- dataset files


def test_files_parse(dataset, parsed):
    assert len(dataset) == 4 * len(ACTIONS)
    for path in dataset:
        frames = parsed[path.name]
        assert 40 <= len(frames) <= 150
        assert sum(len(f) for f in frames) > 0
        for bodies in frames:
            for b in bodies:
                j = b["joints"]
                assert str(b["id"]).startswith("72057594037")
                q = np.linalg.norm(j[:, 7:11], axis=1)
                assert np.all((q == 0) | (np.abs(q - 1) < 1e-4)), "orientations are unit or zero"
                assert (j[[3, 15, 19, 21, 22, 23, 24], 7:11] == 0).all(), "leaf joints have no orientation"
                # depth pixels follow a Kinect v2 pinhole projection of x, y, z
                dx = 366.5 * j[:, 0] / j[:, 2]
                assert np.abs(j[:, 3] - dx - np.median(j[:, 3] - dx)).max() < 0.5
                assert (j[:, 2] > 0.5).all()


def test_names_and_split_coverage(dataset):
    by_class: dict[int, list[tuple[int, ...]]] = {}
    names = [p.name for p in dataset]
    assert len(set(names)) == len(names)
    for name in names:
        m = NAME_RE.match(name)
        assert m, name
        setup, camera, performer, replication, action = map(int, m.groups())
        assert 1 <= setup <= 17 and 1 <= camera <= 3 and 1 <= performer <= 40 and replication in (1, 2)
        by_class.setdefault(action, []).append((camera, performer))
    assert sorted(by_class) == sorted(ACTIONS)
    for action, ids in by_class.items():
        xsub = {p in NTU60_XSUB_TRAIN_PERFORMERS for _, p in ids}
        xview = {c in (2, 3) for c, _ in ids}
        assert xsub == {True, False}, f"A{action:03d} lacks a cross-subject side"
        assert xview == {True, False}, f"A{action:03d} lacks a cross-view side"


def test_split_coverage_with_two_samples(tmp_path):
    paths = generate_ntu_dataset(tmp_path, samples_per_class=2, classes=[23, 58], frames=40)
    ids = [tuple(map(int, NAME_RE.match(p.name).groups())) for p in paths]
    for action in (23, 58):
        mine = [i for i in ids if i[4] == action]
        assert {i[2] in NTU60_XSUB_TRAIN_PERFORMERS for i in mine} == {True, False}
        assert {i[1] == 1 for i in mine} == {True, False}


def test_deterministic(tmp_path, dataset):
    again = generate_ntu_dataset(tmp_path / "a", samples_per_class=4, seed=7)
    assert [p.name for p in again] == [p.name for p in dataset]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, dataset))
    # a class's files do not depend on which other classes are generated
    subset = generate_ntu_dataset(tmp_path / "b", samples_per_class=4, seed=7, classes=["clapping"])
    originals = {p.name: p for p in dataset}
    assert len(subset) == 4
    assert all(p.read_bytes() == originals[p.name].read_bytes() for p in subset)
    other = generate_ntu_dataset(tmp_path / "c", samples_per_class=4, seed=8, classes=[10])
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in subset]


def test_two_person_classes_have_two_bodies(parsed):
    for name, frames in parsed.items():
        action = int(name[17:20])
        long_tracks = [t for t in tracks_of(frames).values() if len(t) >= 0.4 * len(frames)]
        if action in TWO_PERSON:
            assert len(long_tracks) >= 2, name
            assert np.mean([len(f) >= 2 for f in frames]) > 0.5, name
    for action in TWO_PERSON:
        frames = read_skeleton(generate_file_bytes(np.random.default_rng(action), action, noise=False))
        assert all(len(f) == 2 for f in frames)
        assert len(tracks_of(frames)) == 2


def test_one_person_without_noise_has_one_body():
    for action in ACTIONS:
        if ACTIONS[action].persons == 1:
            data = generate_file_bytes(np.random.default_rng(action), action, 60, noise=False)
            frames = read_skeleton(data)
            assert len(frames) == 60 and all(len(f) == 1 for f in frames)


def test_noise_bodies_occur(parsed):
    """Some samples carry ghost bodies, spread-out 'furniture' bodies, or empty frames."""
    short, spread, empty = 0, 0, 0
    for frames in parsed.values():
        empty += len(frames[0]) == 0
        for track in tracks_of(frames).values():
            if len(track) <= 11:
                short += 1
            j = np.stack([t[1] for t in track])
            ext = j[:, :, :2].max(1) - j[:, :, :2].min(1)
            if np.mean(ext[:, 0] > 0.8 * ext[:, 1]) >= 0.7:
                spread += 1
    assert short > 0 and spread > 0 and empty > 0, (short, spread, empty)


def _style(data: bytes) -> dict:
    """Check every token's shape; return statistics of the numbers' formatting."""
    text = data.decode("ascii")
    assert text.count("\n") == text.count("\r\n")
    stats = {"coords": 0, "seven_digits": 0, "zeros": 0, "decimals": 0, "info_lines": 0}
    for line in text.split("\r\n"):
        toks = line.split(" ")
        if len(toks) == 10:
            stats["info_lines"] += 1
            assert re.fullmatch(r"\d{17}", toks[0])
            assert all(re.fullmatch(r"\d+", t) for t in toks[1:7] + toks[9:]), line
            assert all(NUMBER_RE.match(t) for t in toks[7:9]), line
        elif len(toks) == 12:
            assert all(NUMBER_RE.match(t) for t in toks[:11]), line
            assert toks[11] in ("0", "1", "2")
            stats["decimals"] += 11
            stats["zeros"] += sum(t == "0" for t in toks[:11])
            for t in toks[:11]:
                digits = re.sub(r"E.*$", "", t).replace("-", "").replace(".", "").lstrip("0")
                assert len(digits) <= 7, t
            for t in toks[:3]:
                digits = re.sub(r"E.*$", "", t).replace("-", "").replace(".", "").lstrip("0")
                stats["coords"] += 1
                stats["seven_digits"] += len(digits) == 7
        else:
            assert re.fullmatch(r"\d+", line) or line == "", line
    return stats


def test_matches_genuine_style():
    """Generated files have the genuine files' token shapes and number formatting."""
    genuine = real_files("ntu", "skeletons", pattern="*.skeleton")
    gen = generate_file_bytes(np.random.default_rng(0), 58, 100)
    for data in [p.read_bytes() for p in genuine] + [gen]:
        st = _style(data)
        assert st["info_lines"] > 0
        # most coordinates carry all 7 significant digits; "0" appears (leaf orientations)
        assert st["seven_digits"] / st["coords"] > 0.6
        assert 0.05 < st["zeros"] / st["decimals"] < 0.2
    real_line = genuine[0].read_bytes().split(b"\r\n")[2].split(b" ")
    gen_line = gen.split(b"\r\n")[2].split(b" ")
    assert len(gen_line[0]) == len(real_line[0]) == 17 and gen_line[0][:11] == real_line[0][:11]
    assert gen.split(b"\r\n")[3] == genuine[0].read_bytes().split(b"\r\n")[3] == b"25"


def test_action_names_match_label_map():
    path = real_path("label_maps", "mmaction2_skeleton_label_map_ntu60.txt")
    names = path.read_text().splitlines()
    for action in ACTIONS.values():
        assert names[action.action_id - 1].strip() == action.name
    assert len(ACTIONS) >= 12


# --------------------------------------------------------------------------- motion


def _mean_speed(action: int, joints: list[int], seeds=range(6)) -> float:
    """Mean per-frame speed (m/frame) of the fastest of ``joints``, over samples."""
    speeds = []
    for seed in seeds:
        frames = read_skeleton(generate_file_bytes(np.random.default_rng(seed), action, 90, noise=False))
        xyz = np.stack([f[0]["joints"][:, :3] for f in frames])
        v = np.linalg.norm(np.diff(xyz[:, joints], axis=0), axis=-1).mean(0)
        speeds.append(v.max())
    return float(np.mean(speeds))


def test_classes_differ_in_motion():
    hands = [7, 11]  # HandLeft, HandRight (0-based)
    feet = [15, 19]
    waving_hands = _mean_speed(23, hands)
    assert waving_hands > 2.0 * _mean_speed(8, hands)  # sitting down
    assert waving_hands > 2.0 * _mean_speed(35, hands)  # nod head/bow
    assert _mean_speed(24, feet) > 2.0 * _mean_speed(23, feet)  # kicking vs waving
    # clapping brings the hands together, salute raises one hand to the head
    clap = generate_sample(np.random.default_rng(1), 10, 90, noise=False).tracks[0].xyz
    assert np.linalg.norm(clap[:, 7] - clap[:, 11], axis=-1).min() < 0.12
    salute = generate_sample(np.random.default_rng(1), 38, 90, noise=False).tracks[0].xyz
    head_y = salute[:, 3, 1]
    assert (np.maximum(salute[:, 7, 1], salute[:, 11, 1]) > head_y - 0.15).any()


def test_generate_file_bytes_options():
    rng = np.random.default_rng(3)
    frames = read_skeleton(generate_file_bytes(rng, "hand_waving", 100, bodies=2, noise=False))
    assert len(frames) == 100 and all(len(f) == 2 for f in frames)
    one = read_skeleton(generate_file_bytes(rng, 55, 50, bodies=1, noise=False))
    assert all(len(f) == 1 for f in one)
    lf = generate_file_bytes(np.random.default_rng(4), 10, 40, newline="\n")
    assert b"\r" not in lf and lf.endswith(b"\n")
    with pytest.raises(KeyError):
        generate_file_bytes(rng, 1)  # no animation for A001
