"""Tests of body selection (actionkit.kernels.bodies)."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pytest
from realdata import real_files

from actionkit.kernels.bodies import BODY_MODES, BodySelection, select_bodies, select_bodies_with_notes
from actionkit.kernels.skeleton_text import ParsedSkeleton, parse_ntu_skeleton

# A fixed joint layout in [-1, 1]^2; both extents are close to 2.
LAYOUT = np.random.default_rng(123).uniform(-1.0, 1.0, size=(25, 2))
LAYOUT[0] = (-1.0, -1.0)
LAYOUT[1] = (1.0, 1.0)


def pose(cx: float, cy: float = 0.0, *, noisy: bool = False, z: float = 3.0, ratio: float | None = None) -> np.ndarray:
    """One body: upright (x-extent 0.4, y-extent 1.6), or spread-noisy (x 2.0, y 0.6);
    or with x-extent = ``ratio`` * y-extent."""
    sx, sy = (1.0, 0.3) if noisy else (0.2, 0.8)
    if ratio is not None:
        sx, sy = 0.8 * ratio, 0.8
    xyz = np.empty((25, 3))
    xyz[:, 0] = cx + sx * LAYOUT[:, 0]
    xyz[:, 1] = cy + sy * LAYOUT[:, 1]
    xyz[:, 2] = z + 0.01 * LAYOUT[:, 0]
    return xyz


def track(body_id: int, frames, amp: float, noisy=(), offset: float = 0.0,
          ratios=None) -> dict[int, tuple[int, np.ndarray]]:
    """A body seen at ``frames``, swaying along x with amplitude ``amp``.

    ``ratios`` (optional, one per frame) sets each frame's x-extent / y-extent instead.
    """
    noisy = set(noisy)
    out = {}
    for i, t in enumerate(frames):
        ratio = None if ratios is None else float(ratios[i])
        out[int(t)] = (body_id, pose(offset + amp * np.sin(0.7 * t), noisy=t in noisy, ratio=ratio))
    return out


def make_parsed(frames: list[list[tuple[int, np.ndarray]]]) -> ParsedSkeleton:
    """A ParsedSkeleton from ``frames[t] = [(bodyID, xyz[25, 3]), ...]`` in file order."""
    records = [(t, bid, xyz) for t, bodies in enumerate(frames) for bid, xyz in bodies]
    n = len(records)
    return ParsedSkeleton(
        frames=len(frames),
        bodies_per_frame=np.array([len(b) for b in frames], dtype=np.int32),
        body_frame=np.array([r[0] for r in records], dtype=np.int32),
        body_id=np.array([r[1] for r in records], dtype=np.int64),
        xyz=np.array([r[2] for r in records], dtype=np.float64).reshape(n, 25, 3),
        tracking_state=np.full((n, 25), 2, dtype=np.int8),
    )


def assemble(n_frames: int, *tracks: dict) -> ParsedSkeleton:
    """Frames holding the given tracks' bodies, in the order the tracks are given."""
    return make_parsed([[tr[t] for tr in tracks if t in tr] for t in range(n_frames)])


def f32(xyz: np.ndarray) -> np.ndarray:
    return xyz.astype(np.float32)


# --------------------------------------------------------------------------- slow references


def ref_first(parsed: ParsedSkeleton, max_bodies: int) -> np.ndarray:
    """st-gcn read_xyz, restated with numpy."""
    out = np.zeros((parsed.frames, max_bodies, 25, 3), dtype=np.float32)
    b = 0
    for t, nb in enumerate(parsed.bodies_per_frame.tolist()):
        for m in range(nb):
            if m < max_bodies:
                out[t, m] = parsed.xyz[b]
            b += 1
    return out


def ref_energy(parsed: ParsedSkeleton, max_bodies: int) -> np.ndarray:
    """2s-AGCN read_xyz + get_nonzero_std, restated with numpy."""
    slots = max(4, max_bodies)
    data = np.zeros((slots, parsed.frames, 25, 3))
    b = 0
    for t, nb in enumerate(parsed.bodies_per_frame.tolist()):
        for m in range(nb):
            if m < slots:
                data[m, t] = parsed.xyz[b]
            b += 1

    def nonzero_std(s):
        s = s[s.sum(-1).sum(-1) != 0]
        return s[:, :, 0].std() + s[:, :, 1].std() + s[:, :, 2].std() if len(s) else 0.0

    energy = np.array([nonzero_std(x) for x in data])
    index = energy.argsort(kind="stable")[::-1][:max_bodies]
    return data[index].transpose(1, 0, 2, 3).astype(np.float32)


def ref_tracked(parsed: ParsedSkeleton, max_bodies: int):
    """get_raw_skes_data + get_raw_denoised_data restated (true-frame placement, presence)."""
    bodies: dict[int, dict] = {}
    valid = []
    b = 0
    for t, nb in enumerate(parsed.bodies_per_frame.tolist()):
        if nb:
            valid.append(t)
        for _ in range(nb):
            entry = bodies.setdefault(int(parsed.body_id[b]), {"frames": [], "joints": []})
            entry["frames"].append(len(valid) - 1)
            entry["joints"].append(parsed.xyz[b].astype(np.float32))
            b += 1
    if not bodies:
        return np.zeros((0, max_bodies, 25, 3), np.float32), np.zeros(0, np.int32), 1

    def motion(joints):
        return float(np.var(np.asarray(joints, dtype=np.float64).reshape(-1, 3), axis=0).sum())

    for entry in bodies.values():
        entry["joints"] = np.stack(entry["joints"])
        entry["motion"] = motion(entry["joints"])
    n_notes = 0
    if len(bodies) > 1:
        kept = {k: v for k, v in bodies.items() if len(v["frames"]) > 11}
        if not kept:
            longest = max(bodies, key=lambda k: len(bodies[k]["frames"]))
            kept = {longest: bodies[longest]}
            n_notes += 1
        bodies = kept
        if len(bodies) > 1:
            for bid in list(bodies):
                if len(bodies) == 1:
                    break
                j = bodies[bid]["joints"]
                x_ext = j[:, :, 0].max(axis=1) - j[:, :, 0].min(axis=1)
                y_ext = j[:, :, 1].max(axis=1) - j[:, :, 1].min(axis=1)
                ok = x_ext.astype(np.float64) <= 0.8 * y_ext.astype(np.float64)
                n_noise = len(ok) - int(ok.sum())
                if n_noise == 0:
                    continue
                if n_noise / len(ok) >= 0.69754:
                    del bodies[bid]
                else:
                    bodies[bid]["motion"] = min(bodies[bid]["motion"], motion(j[ok]))
    ordered = sorted(bodies.values(), key=lambda v: v["motion"], reverse=True)
    out = np.zeros((len(valid), max_bodies, 25, 3), dtype=np.float32)
    present = np.zeros(len(valid), dtype=bool)
    intervals = [[min(ordered[0]["frames"]), max(ordered[0]["frames"])]] + [[0, 0] for _ in range(max_bodies - 1)]

    def place(entry, actor):
        for f, joints in zip(entry["frames"], entry["joints"]):
            out[f, actor] = joints
            present[f] = True

    place(ordered[0], 0)
    for entry in ordered[1:]:
        s, e = min(entry["frames"]), max(entry["frames"])
        for a in range(max_bodies):
            if min(intervals[a][1], e) - max(intervals[a][0], s) <= 0:
                place(entry, a)
                intervals[a] = [min(s, intervals[a][0]), max(e, intervals[a][1])]
                break
    return out[present], np.asarray(valid, dtype=np.int32)[present], n_notes


def random_parsed(rng: np.random.Generator) -> ParsedSkeleton:
    """Several tracks with random spans, gaps, noise and lengths; shuffled slot order."""
    n_frames = int(rng.integers(15, 70))
    n_tracks = int(rng.integers(1, 6))
    tracks = []
    for k in range(n_tracks):
        length = int(rng.integers(3, n_frames + 1))
        start = int(rng.integers(0, n_frames - length + 1))
        frames = np.arange(start, start + length)
        if rng.random() < 0.4:  # vanishes for a while
            gap = int(rng.integers(start, start + length))
            frames = frames[(frames < gap) | (frames >= gap + int(rng.integers(1, 10)))]
        # x-extent / y-extent per frame, noisy (> 0.8) at a rate chosen per track
        noise_rate = rng.choice([0.0, 0.3, 0.6, 0.75, 1.0])
        noisy = rng.random(len(frames)) < noise_rate
        ratios = np.where(noisy, rng.uniform(0.8, 1.6, len(frames)), rng.uniform(0.3, 0.8, len(frames)))
        amp, offset = float(rng.uniform(0.01, 1.0)), float(rng.normal())
        tracks.append(track(72057594037944700 + k, frames, amp, (), offset, ratios))
    frames_list = []
    for t in range(n_frames):
        here = [tr[t] for tr in tracks if t in tr]
        order = rng.permutation(len(here))
        frames_list.append([here[i] for i in order])
    return make_parsed(frames_list)


# --------------------------------------------------------------------------- API


def test_registry_and_unknown_mode():
    assert set(BODY_MODES) == {"tracked", "energy", "first"}
    parsed = assemble(3, track(1, range(3), 0.1))
    with pytest.raises(ValueError, match="tracked, energy, first"):
        select_bodies(parsed, "biggest")
    with pytest.raises(ValueError, match="max_bodies"):
        select_bodies(parsed, "first", 0)
    sel = select_bodies_with_notes(parsed, "tracked")
    assert isinstance(sel, BodySelection) and sel.notes == ()
    for mode in BODY_MODES:
        out = select_bodies(parsed, mode, 2)
        assert out.dtype == np.float32 and out.shape == (3, 2, 25, 3)


# --------------------------------------------------------------------------- first


def test_first_keeps_every_frame_and_file_order():
    a, b, c = pose(0.0), pose(1.0), pose(2.0)
    parsed = make_parsed([[(1, a), (2, b), (3, c)], [], [(2, b)]])
    sel = select_bodies_with_notes(parsed, "first", 2)
    assert sel.joints.shape == (3, 2, 25, 3)
    assert sel.frame_index.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(sel.joints[0, 0], f32(a))
    np.testing.assert_array_equal(sel.joints[0, 1], f32(b))
    assert not sel.joints[1].any()
    np.testing.assert_array_equal(sel.joints[2, 0], f32(b))
    assert not sel.joints[2, 1].any()
    np.testing.assert_array_equal(select_bodies(parsed, "first", 3)[0, 2], f32(c))


# --------------------------------------------------------------------------- energy


def test_energy_picks_slots_2_and_0_of_3():
    frames = []
    for t in range(12):
        medium = pose(0.3 * np.sin(t))
        small = pose(0.0) * 0.1
        large = pose(1.5 * np.cos(t)) * 2.0
        frames.append([(1, medium), (2, small), (3, large)])
    parsed = make_parsed(frames)
    out = select_bodies(parsed, "energy", 2)
    np.testing.assert_array_equal(out[:, 0], f32(parsed.xyz[2::3]))
    np.testing.assert_array_equal(out[:, 1], f32(parsed.xyz[0::3]))


def test_energy_ties_put_the_higher_slot_first():
    # Coordinates 0.5 + paired integers: means and deviations are exact, so the two
    # slots' energies tie exactly whatever the summation order.
    rng = np.random.default_rng(0)

    def body():
        half = rng.integers(-3, 4, size=(12, 3)).astype(np.float64)
        return np.concatenate([half, -half, np.zeros((1, 3))]) + 0.5

    a, b = body(), body()
    parsed = make_parsed([[(1, a), (2, b)], [(1, b), (2, a)]])
    out = select_bodies(parsed, "energy", 2)
    np.testing.assert_array_equal(out[0, 0], f32(b))  # slot 1 first
    np.testing.assert_array_equal(out[0, 1], f32(a))
    np.testing.assert_array_equal(out, ref_energy(parsed, 2))


def test_energy_ignores_frames_summing_to_zero_and_keeps_empty_frames():
    zero_sum = np.zeros((25, 3))
    zero_sum[0, 0], zero_sum[1, 0] = 5.0, -5.0  # coordinates sum to 0: not counted
    parsed = make_parsed([[(1, pose(0.0)), (2, zero_sum)], [], [(1, pose(0.5)), (2, pose(0.0) * 0.01)]])
    out = select_bodies(parsed, "energy", 2)
    assert out.shape == (3, 2, 25, 3) and not out[1].any()
    np.testing.assert_array_equal(out, ref_energy(parsed, 2))


# --------------------------------------------------------------------------- tracked


def test_tracked_drops_short_noise_track():
    actor = track(10, range(30), 0.2)
    flicker = track(11, range(5, 10), 3.0)  # 5 frames, big motion: still noise
    sel = select_bodies_with_notes(assemble(30, flicker, actor), "tracked")
    assert sel.joints.shape == (30, 2, 25, 3) and sel.notes == ()
    np.testing.assert_array_equal(sel.joints[:, 0], f32(np.stack([actor[t][1] for t in range(30)])))
    assert not sel.joints[:, 1].any()


def test_tracked_drops_spread_noisy_track():
    actor = track(10, range(30), 0.1)
    noisy = track(11, range(30), 2.0, noisy=range(22), offset=3.0)
    # 22 of 30 noisy frames = 73% >= 69.754%: dropped although it moves the most
    sel = select_bodies_with_notes(assemble(30, noisy, actor), "tracked")
    np.testing.assert_array_equal(sel.joints[:, 0], f32(np.stack([actor[t][1] for t in range(30)])))
    assert not sel.joints[:, 1].any()
    # 20 of 30 (66.7%) is below the threshold: kept
    kept = track(11, range(30), 2.0, noisy=range(20), offset=3.0)
    out = select_bodies(assemble(30, kept, actor), "tracked")
    assert out[:, 1].any()


def test_tracked_motion_of_partly_noisy_track_uses_clean_frames():
    steady = track(10, range(30), 0.3)
    # moves a lot, but only in its noisy frames (40%): its clean-frame motion is tiny
    frames = range(30)
    noisy_frames = set(range(0, 30, 5)) | set(range(1, 30, 5))
    jumpy = {t: (11, pose(4.0 * (t % 2) + 1.0 if t in noisy_frames else 1.0, noisy=t in noisy_frames)) for t in frames}
    out = select_bodies(assemble(30, jumpy, steady), "tracked")
    np.testing.assert_array_equal(out[:, 0], f32(np.stack([steady[t][1] for t in range(30)])))
    np.testing.assert_array_equal(out[:, 1], f32(np.stack([jumpy[t][1] for t in range(30)])))


def test_tracked_packs_non_overlapping_tracks_into_actor_1():
    first = track(10, range(0, 20), 1.0)
    second = track(11, range(20, 40), 0.2)
    sel = select_bodies_with_notes(assemble(40, first, second), "tracked")
    assert sel.joints.shape == (40, 2, 25, 3)
    expected = [first[t][1] for t in range(20)] + [second[t][1] for t in range(20, 40)]
    np.testing.assert_array_equal(sel.joints[:, 0], f32(np.stack(expected)))
    assert not sel.joints[:, 1].any()


def test_tracked_touching_intervals_count_as_not_overlapping():
    first = track(10, range(0, 20), 1.0)
    second = track(11, range(19, 40), 0.2, offset=2.0)  # shares frame 19: goes to actor 1
    out = select_bodies(assemble(40, first, second), "tracked")
    np.testing.assert_array_equal(out[19, 0], f32(second[19][1]))  # later track overwrites
    assert not out[:, 1].any()


def test_tracked_places_reappearing_track_at_true_frames():
    main = track(10, range(40), 1.0)
    partner_frames = list(range(0, 15)) + list(range(25, 40))
    partner = track(11, partner_frames, 0.2, offset=2.0)
    sel = select_bodies_with_notes(assemble(40, partner, main), "tracked")
    assert sel.joints.shape == (40, 2, 25, 3)
    for t in range(40):
        np.testing.assert_array_equal(sel.joints[t, 0], f32(main[t][1]))
        if t in partner:
            np.testing.assert_array_equal(sel.joints[t, 1], f32(partner[t][1]))
        else:
            assert not sel.joints[t, 1].any()


def test_tracked_interval_ends_at_the_true_last_frame():
    main = track(1, range(60), 2.0)
    gappy = track(2, list(range(0, 12)) + list(range(40, 52)), 1.0, offset=2.0)  # actor 2: [0, 51]
    # The reference's contiguous interval would end gappy at frame 23 and let this in:
    late = track(3, range(30, 46), 0.5, offset=4.0)
    out = select_bodies(assemble(60, main, gappy, late), "tracked")
    for t in range(60):
        if t in gappy:
            np.testing.assert_array_equal(out[t, 1], f32(gappy[t][1]))
        else:
            assert not out[t, 1].any()


def test_tracked_equal_motion_keeps_first_appearance_order():
    # Dyadic coordinates with exactly representable means: x and y identical, z shifted
    # by exactly 2, so the two tracks' motions tie exactly.
    half = np.round(np.random.default_rng(1).uniform(-1, 1, size=(12, 2)) * 64) / 64
    layout = np.concatenate([half, -half, np.zeros((1, 2))])  # columns sum to 0
    frames = []
    for t in range(20):
        a = np.zeros((25, 3))
        a[:, 0] = 0.25 * layout[:, 0] + (t % 4) / 8
        a[:, 1] = layout[:, 1]
        a[:, 2] = 3.0 + layout[:, 0] / 4
        b = a.copy()
        b[:, 2] += 2.0
        frames.append([(5, a), (7, b)] if t == 0 else [(7, b), (5, a)])
    out = select_bodies(make_parsed(frames), "tracked")
    a_rows = np.stack([dict(f)[5] for f in frames])
    b_rows = np.stack([dict(f)[7] for f in frames])
    np.testing.assert_array_equal(out[:, 0], f32(a_rows))  # bodyID 5 appeared first
    np.testing.assert_array_equal(out[:, 1], f32(b_rows))


def test_tracked_removes_empty_frames_and_frames_of_dropped_tracks():
    actor = track(10, range(0, 20), 0.5)
    ghost = track(11, range(25, 30), 0.5)  # dropped by length; frames 20-24 have no body
    sel = select_bodies_with_notes(assemble(30, actor, ghost), "tracked")
    assert sel.frame_index.tolist() == list(range(20))
    # with empty frames inside, frame_index maps back to file frames
    gappy = track(10, [0, 1, 2, 5, 6] + list(range(9, 20)), 0.5)
    other = track(11, range(9, 25), 0.1, offset=2.0)
    sel = select_bodies_with_notes(assemble(25, gappy, other), "tracked")
    assert sel.frame_index.tolist() == [0, 1, 2, 5, 6] + list(range(9, 25))
    np.testing.assert_array_equal(sel.joints[3, 0], f32(gappy[5][1]))


def test_tracked_actor_2_virtual_interval_quirk():
    # Actor 2 starts from the virtual interval [0, 0]: its start stays 0.
    a = track(1, range(0, 60), 2.0)
    b = track(2, range(20, 41), 1.0, offset=2.0)  # -> actor 2, whose interval becomes [0, 40]
    c = track(3, range(30, 51), 0.5, offset=4.0)  # overlaps actor 1 and actor 2: dropped
    d = track(4, range(45, 57), 0.25, offset=6.0)  # 12 frames after 40: actor 2
    e = track(5, range(2, 16), 0.1, offset=8.0)  # before b, but inside [0, 40]: dropped
    out = select_bodies(assemble(60, e, d, c, b, a), "tracked")
    assert out.shape == (60, 2, 25, 3)
    for t in range(60):
        np.testing.assert_array_equal(out[t, 0], f32(a[t][1]))
        if t in b:
            np.testing.assert_array_equal(out[t, 1], f32(b[t][1]))
        elif t in d:
            np.testing.assert_array_equal(out[t, 1], f32(d[t][1]))
        else:
            assert not out[t, 1].any()


def test_tracked_spread_step_stops_at_the_last_track():
    first = track(1, range(30), 0.5, noisy=range(30))
    second = track(2, range(30), 0.1, noisy=range(30), offset=3.0)
    out = select_bodies(assemble(30, first, second), "tracked")
    np.testing.assert_array_equal(out[:, 0], f32(np.stack([second[t][1] for t in range(30)])))
    assert not out[:, 1].any()


def test_tracked_fallback_keeps_longest_when_all_tracks_are_short():
    short = track(72057594037944738, range(0, 5), 1.0)
    longer = track(72057594037944739, range(3, 11), 0.1, offset=2.0)
    sel = select_bodies_with_notes(assemble(11, short, longer), "tracked")
    assert len(sel.notes) == 1 and "72057594037944739" in sel.notes[0] and "longest" in sel.notes[0]
    assert sel.frame_index.tolist() == list(range(3, 11))
    np.testing.assert_array_equal(sel.joints[:, 0], f32(np.stack([longer[t][1] for t in range(3, 11)])))


def test_tracked_single_short_track_is_kept_without_note():
    sel = select_bodies_with_notes(assemble(5, track(1, range(5), 0.2)), "tracked")
    assert sel.joints.shape == (5, 2, 25, 3) and sel.notes == ()


def test_no_bodies_at_all():
    parsed = make_parsed([[], []])
    sel = select_bodies_with_notes(parsed, "tracked")
    assert sel.joints.shape == (0, 2, 25, 3) and sel.notes
    for mode in ("first", "energy"):
        out = select_bodies(parsed, mode)
        assert out.shape == (2, 2, 25, 3) and not out.any()


# --------------------------------------------------------------------------- randomized


@pytest.mark.parametrize("max_bodies", [1, 2, 3])
def test_modes_match_slow_references_on_random_files(max_bodies):
    rng = np.random.default_rng(100 + max_bodies)
    fallbacks = 0
    for _ in range(150):
        parsed = random_parsed(rng)
        np.testing.assert_array_equal(select_bodies(parsed, "first", max_bodies), ref_first(parsed, max_bodies))
        np.testing.assert_array_equal(select_bodies(parsed, "energy", max_bodies), ref_energy(parsed, max_bodies))
        sel = select_bodies_with_notes(parsed, "tracked", max_bodies)
        joints, frame_index, n_notes = ref_tracked(parsed, max_bodies)
        np.testing.assert_array_equal(sel.joints, joints)
        np.testing.assert_array_equal(sel.frame_index, frame_index)
        assert len(sel.notes) == n_notes
        fallbacks += n_notes
    assert fallbacks > 0  # the random files do exercise the fallback


def test_real_files_tracked_and_energy_match_references():
    files = real_files("ntu", "skeletons", pattern="*.skeleton")
    for path in files:
        parsed = parse_ntu_skeleton(path.read_bytes())
        np.testing.assert_array_equal(select_bodies(parsed, "energy"), ref_energy(parsed, 2))
        joints, frame_index, _ = ref_tracked(parsed, 2)
        np.testing.assert_array_equal(select_bodies(parsed, "tracked"), joints)


# --------------------------------------------------------------------------- fork


def fmt_file(parsed: ParsedSkeleton) -> bytes:
    """Genuine-format text for a ParsedSkeleton (7 significant digits, CRLF)."""
    lines = [str(parsed.frames)]
    b = 0
    for nb in parsed.bodies_per_frame.tolist():
        lines.append(str(nb))
        for _ in range(nb):
            lines.append(f"{parsed.body_id[b]} 0 0 0 0 0 0 0.1 -0.2 2")
            lines.append("25")
            for x, y, z in parsed.xyz[b]:
                lines.append(f"{x:.7G} {y:.7G} {z:.7G} 250.1 180.2 900.3 500.4 0.5 0.1 -0.2 0.3 2")
            b += 1
    return ("\r\n".join(lines) + "\r\n").encode()


def work(data: bytes) -> list[np.ndarray]:
    parsed = parse_ntu_skeleton(data)
    return [parsed.xyz, parsed.body_id] + [select_bodies(parsed, mode) for mode in sorted(BODY_MODES)]


def test_kernels_in_forked_pool_workers():
    rng = np.random.default_rng(7)
    blobs = [fmt_file(random_parsed(rng)) for _ in range(6)]
    blobs += [p.read_bytes() for p in real_files("ntu", "skeletons", pattern="*.skeleton")]
    expected = [work(d) for d in blobs]  # compiled (or loaded from cache) in the parent
    with multiprocessing.get_context("fork").Pool(2) as pool:
        got = pool.map(work, blobs)
    for exp, res in zip(expected, got):
        for e, r in zip(exp, res):
            np.testing.assert_array_equal(r, e)
