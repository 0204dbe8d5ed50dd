"""Body selection for NTU-style multi-body skeleton files.

A Kinect v2 file holds 0 to 6 body records per frame, each with a tracking ``bodyID``.
Learning code wants a fixed number of bodies per frame; the field has three ways of
choosing them, reproduced here and named by the pipeline that introduced them:

``first`` (st-gcn, ``tools/utils/ntu_read_skeleton.py: read_xyz``)
    Every frame of the file is kept (``T = frames``, frames without bodies are zeros);
    slot ``m`` of frame ``t`` is the ``m``-th body record of that frame, ``m < max_bodies``.

``energy`` (2s-AGCN / MS-G3D / CMD, ``data_gen/ntu_gendata.py: read_xyz``)
    Every frame is kept. Up to ``max(4, max_bodies)`` per-frame slots are filled (slot
    ``m`` = the ``m``-th body of the frame; the reference uses 4). The energy of a slot is
    ``std(x) + std(y) + std(z)`` (population std over all joints of its non-zero frames; a
    frame is non-zero when its coordinates do not sum to 0; no such frame: energy 0).
    The ``max_bodies`` slots of highest energy are kept in descending order; ties go as
    ``energy.argsort()[::-1]`` went for the reference's 4-element array when it was
    written (NumPy's quicksort sorted small arrays by insertion, i.e. stably; reversed:
    among equal energies the higher slot comes first). NumPy 2 on AVX2/AVX-512 machines
    dispatches ``argsort`` to a SIMD sort that is not stable (``[1, 1, 0, 0]`` gives
    ``[3, 2, 1, 0]``), so the reference itself now breaks ties by machine; ties only occur
    between zero-energy or identical slots. Float64 throughout, like the reference (which
    parses with ``float()`` into a float64 array).

``tracked`` (SGN / CTR-GCN / PYSKL, ``get_raw_skes_data.py`` + ``get_raw_denoised_data.py``)
    Bodies are grouped into tracks by ``bodyID`` after frames without bodies are dropped,
    then denoised and packed into ``max_bodies`` actors (2 in the reference); see
    :func:`select_bodies_with_notes` for every step and the deliberate deviations.

Verified against the reference code (read, not copied): st-gcn ``read_xyz`` (George-Polya
fork of yysijie/st-gcn), 2s-AGCN ``data_gen/ntu_gendata.py`` (lshiwjx/2s-AGCN:
``get_nonzero_std``, ``max_body_kinect = 4``, ``energy.argsort()[::-1][0:2]``), CTR-GCN
``data/ntu/get_raw_skes_data.py`` (Uason-Chen/CTR-GCN) and ``get_raw_denoised_data.py``
(microsoft/SGN, the file CTR-GCN copies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from actionkit.kernels.skeleton_text import NUM_JOINTS, ParsedSkeleton

__all__ = ["BODY_MODES", "BodySelection", "select_bodies", "select_bodies_with_notes", "slot_energies"]

# Denoising thresholds of get_raw_denoised_data.py.
NOISE_LEN_THRES = 11  # a track of <= 11 records is noise
NOISE_SPR_THRES1 = 0.8  # a frame is noisy when x-extent > 0.8 * y-extent
NOISE_SPR_THRES2 = 0.69754  # a track is noisy when >= 69.754% of its frames are noisy
ENERGY_SLOTS = 4  # max_body_kinect of ntu_gendata.py


@dataclass(frozen=True)
class BodySelection:
    """The result of a body selection.

    Attributes:
        joints: float32 ``[T, max_bodies, 25, 3]``; absent bodies are zeros.
        frame_index: int32 ``[T]``, the file frame (0-based) of every output frame.
        notes: Exceptional decisions worth reporting (e.g. a fallback), empty normally.
    """

    joints: np.ndarray
    frame_index: np.ndarray
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- first


@numba.njit(cache=True)
def _first_kernel(bodies_per_frame, xyz, max_bodies):
    frames = bodies_per_frame.shape[0]
    out = np.zeros((frames, max_bodies, NUM_JOINTS, 3), dtype=np.float32)
    b = 0
    for t in range(frames):
        for k in range(bodies_per_frame[t]):
            if k < max_bodies:
                for j in range(NUM_JOINTS):
                    for c in range(3):
                        out[t, k, j, c] = np.float32(xyz[b, j, c])
            b += 1
    return out


def _select_first(parsed: ParsedSkeleton, max_bodies: int) -> BodySelection:
    joints = _first_kernel(parsed.bodies_per_frame, parsed.xyz, max_bodies)
    return BodySelection(joints, np.arange(parsed.frames, dtype=np.int32))


# --------------------------------------------------------------------------- energy


@numba.njit(cache=True)
def _energy_kernel(bodies_per_frame, xyz, max_bodies, n_slots):
    frames = bodies_per_frame.shape[0]
    n_rec = xyz.shape[0]
    # slot of every record (its rank within its frame)
    slot = np.empty(n_rec, dtype=np.int64)
    b = 0
    for t in range(frames):
        for k in range(bodies_per_frame[t]):
            slot[b] = k
            b += 1
    # a record counts when its coordinates do not sum to 0 (per joint x+y+z, then joints)
    nonzero = np.zeros(n_rec, dtype=np.bool_)
    for r in range(n_rec):
        s = 0.0
        for j in range(NUM_JOINTS):
            s += (xyz[r, j, 0] + xyz[r, j, 1]) + xyz[r, j, 2]
        nonzero[r] = s != 0.0
    energy = np.zeros(n_slots, dtype=np.float64)
    for m in range(n_slots):
        count = 0
        mean = np.zeros(3)
        for r in range(n_rec):
            if slot[r] == m and nonzero[r]:
                count += 1
                for j in range(NUM_JOINTS):
                    for c in range(3):
                        mean[c] += xyz[r, j, c]
        if count == 0:
            continue
        npts = count * NUM_JOINTS
        for c in range(3):
            mean[c] /= npts
        ss = np.zeros(3)
        for r in range(n_rec):
            if slot[r] == m and nonzero[r]:
                for j in range(NUM_JOINTS):
                    for c in range(3):
                        d = xyz[r, j, c] - mean[c]
                        ss[c] += d * d
        e = 0.0
        for c in range(3):
            e += np.sqrt(ss[c] / npts)
        energy[m] = e
    # order: energy descending; among equal energies the higher slot first
    # (= numpy's stable ascending argsort of the 4 energies, reversed)
    order = np.empty(n_slots, dtype=np.int64)
    for i in range(n_slots):
        order[i] = n_slots - 1 - i
    for i in range(1, n_slots):  # insertion sort, stable on the reversed slot order
        key = order[i]
        p = i - 1
        while p >= 0 and energy[order[p]] < energy[key]:
            order[p + 1] = order[p]
            p -= 1
        order[p + 1] = key
    target = np.full(n_slots, -1, dtype=np.int64)  # output position of each slot
    for i in range(max_bodies):
        target[order[i]] = i
    out = np.zeros((frames, max_bodies, NUM_JOINTS, 3), dtype=np.float32)
    b = 0
    for t in range(frames):
        for k in range(bodies_per_frame[t]):
            if k < n_slots and target[k] >= 0:
                o = target[k]
                for j in range(NUM_JOINTS):
                    for c in range(3):
                        out[t, o, j, c] = np.float32(xyz[b, j, c])
            b += 1
    return out, energy


def slot_energies(parsed: ParsedSkeleton, n_slots: int = ENERGY_SLOTS) -> np.ndarray:
    """The ``energy`` mode's per-slot energies (float64 ``[n_slots]``), for inspection."""
    return _energy_kernel(parsed.bodies_per_frame, parsed.xyz, 1, max(n_slots, 1))[1]


def _select_energy(parsed: ParsedSkeleton, max_bodies: int) -> BodySelection:
    n_slots = max(ENERGY_SLOTS, max_bodies)
    joints, _ = _energy_kernel(parsed.bodies_per_frame, parsed.xyz, max_bodies, n_slots)
    return BodySelection(joints, np.arange(parsed.frames, dtype=np.int32))


# --------------------------------------------------------------------------- tracked


@numba.njit(cache=True)
def _track_stats(xyz32, rec_order, track_ptr, body_vf, thres1):
    """Per track: records, first/last frame, motion (all records / non-noisy ones), noisy count.

    Motion = sum over x, y, z of the population variance of all joints of the records,
    in float64 over the float32 values the reference works on. A record is noisy when
    its float32 x-extent exceeds ``thres1`` times its float32 y-extent, the comparison in
    float64 (the reference's ``0.8 * float32`` was a float64 under NumPy 1.x).
    """
    n_tracks = track_ptr.shape[0] - 1
    count = np.zeros(n_tracks, dtype=np.int64)
    start = np.zeros(n_tracks, dtype=np.int64)
    end = np.zeros(n_tracks, dtype=np.int64)
    noisy = np.zeros(n_tracks, dtype=np.int64)
    motion = np.zeros(n_tracks, dtype=np.float64)
    motion_valid = np.full(n_tracks, np.inf)
    for k in range(n_tracks):
        lo = track_ptr[k]
        hi = track_ptr[k + 1]
        count[k] = hi - lo
        start[k] = body_vf[rec_order[lo]]
        end[k] = start[k]
        is_noisy = np.zeros(hi - lo, dtype=np.bool_)
        for i in range(lo, hi):
            r = rec_order[i]
            f = body_vf[r]
            if f < start[k]:
                start[k] = f
            if f > end[k]:
                end[k] = f
            xmin = xyz32[r, 0, 0]
            xmax = xmin
            ymin = xyz32[r, 0, 1]
            ymax = ymin
            for j in range(1, NUM_JOINTS):
                x = xyz32[r, j, 0]
                y = xyz32[r, j, 1]
                if x < xmin:
                    xmin = x
                if x > xmax:
                    xmax = x
                if y < ymin:
                    ymin = y
                if y > ymax:
                    ymax = y
            xext = np.float32(xmax - xmin)
            yext = np.float32(ymax - ymin)
            if np.float64(xext) > thres1 * np.float64(yext):
                is_noisy[i - lo] = True
                noisy[k] += 1
        for which in range(2):  # 0: all records, 1: non-noisy records only
            npts = 0
            mean = np.zeros(3)
            for i in range(lo, hi):
                if which == 1 and is_noisy[i - lo]:
                    continue
                r = rec_order[i]
                npts += NUM_JOINTS
                for j in range(NUM_JOINTS):
                    for c in range(3):
                        mean[c] += xyz32[r, j, c]
            if npts == 0:
                continue
            for c in range(3):
                mean[c] /= npts
            ss = np.zeros(3)
            for i in range(lo, hi):
                if which == 1 and is_noisy[i - lo]:
                    continue
                r = rec_order[i]
                for j in range(NUM_JOINTS):
                    for c in range(3):
                        d = np.float64(xyz32[r, j, c]) - mean[c]
                        ss[c] += d * d
            total = (ss[0] / npts + ss[1] / npts) + ss[2] / npts
            if which == 0:
                motion[k] = total
            else:
                motion_valid[k] = total
    return count, start, end, noisy, motion, motion_valid


@numba.njit(cache=True)
def _place_kernel(xyz32, rec_order, track_ptr, body_vf, placed_tracks, placed_actor, n_frames, max_bodies):
    """Write the records of the placed tracks, in placement order, at their true frames."""
    out = np.zeros((n_frames, max_bodies, NUM_JOINTS, 3), dtype=np.float32)
    present = np.zeros(n_frames, dtype=np.bool_)
    for p in range(placed_tracks.shape[0]):
        k = placed_tracks[p]
        a = placed_actor[p]
        for i in range(track_ptr[k], track_ptr[k + 1]):
            r = rec_order[i]
            f = body_vf[r]
            present[f] = True
            for j in range(NUM_JOINTS):
                for c in range(3):
                    out[f, a, j, c] = xyz32[r, j, c]
    return out, present


def _select_tracked(parsed: ParsedSkeleton, max_bodies: int) -> BodySelection:
    bpf = parsed.bodies_per_frame
    valid_frames = np.flatnonzero(bpf > 0).astype(np.int32)
    n_valid = int(valid_frames.shape[0])
    if parsed.num_bodies == 0:
        return BodySelection(
            np.zeros((0, max_bodies, NUM_JOINTS, 3), dtype=np.float32),
            np.zeros(0, dtype=np.int32),
            ("no body in any frame",),
        )
    # frame index among the frames that have bodies, for every record
    vf_of_frame = np.cumsum(bpf > 0) - 1
    body_vf = vf_of_frame[parsed.body_frame].astype(np.int64)
    # tracks = distinct bodyIDs, numbered in order of first appearance (dict order)
    ids, first, inverse = np.unique(parsed.body_id, return_index=True, return_inverse=True)
    by_appearance = np.argsort(first, kind="stable")
    rank = np.empty_like(by_appearance)
    rank[by_appearance] = np.arange(by_appearance.shape[0])
    track_of_rec = rank[inverse.reshape(-1)]
    n_tracks = int(ids.shape[0])
    track_ids = ids[by_appearance]
    rec_order = np.argsort(track_of_rec, kind="stable")  # records grouped by track, file order
    track_ptr = np.zeros(n_tracks + 1, dtype=np.int64)
    np.cumsum(np.bincount(track_of_rec, minlength=n_tracks), out=track_ptr[1:])
    xyz32 = parsed.xyz.astype(np.float32)
    count, start, end, noisy, motion, motion_valid = _track_stats(
        xyz32, rec_order, track_ptr, body_vf, NOISE_SPR_THRES1
    )
    notes: list[str] = []
    alive = list(range(n_tracks))
    if n_tracks > 1:
        # 1. length: drop tracks of <= 11 records
        alive = [k for k in alive if count[k] > NOISE_LEN_THRES]
        if not alive:
            longest = max(range(n_tracks), key=lambda k: (count[k], -k))
            alive = [longest]
            notes.append(
                f"all {n_tracks} body tracks last <= {NOISE_LEN_THRES} frames; kept the longest "
                f"(bodyID {int(track_ids[longest])}, {int(count[longest])} frames)"
            )
        # 2. spread: in first-appearance order, while more than one track is left
        if len(alive) > 1:
            motion = motion.copy()
            for k in list(alive):
                if len(alive) == 1:
                    break
                if noisy[k] == 0:
                    continue
                if noisy[k] / float(count[k]) >= NOISE_SPR_THRES2:
                    alive.remove(k)
                else:
                    motion[k] = min(motion[k], motion_valid[k])
    # 3. sort by motion, descending, stable (ties keep first-appearance order)
    if len(alive) > 1:
        alive.sort(key=lambda k: -motion[k])
    # 4. pack: actor 1 gets the first track; each following one goes to the first actor
    #    whose interval it does not overlap (min(end) - max(start) <= 0), else it is dropped.
    #    Actors after the first start with the reference's virtual interval [0, 0].
    intervals = [[int(start[alive[0]]), int(end[alive[0]])]] + [[0, 0] for _ in range(max_bodies - 1)]
    placed_tracks = [alive[0]]
    placed_actor = [0]
    for k in alive[1:]:
        s, e = int(start[k]), int(end[k])
        for a in range(max_bodies):
            s_a, e_a = intervals[a]
            if min(e_a, e) - max(s_a, s) <= 0:
                placed_tracks.append(k)
                placed_actor.append(a)
                intervals[a] = [min(s, s_a), max(e, e_a)]
                break
    joints, present = _place_kernel(
        xyz32,
        rec_order,
        track_ptr,
        body_vf,
        np.asarray(placed_tracks, dtype=np.int64),
        np.asarray(placed_actor, dtype=np.int64),
        n_valid,
        max_bodies,
    )
    # 5. drop the frames where no placed track is present
    if not present.all():
        joints = joints[present]
        valid_frames = valid_frames[present]
    return BodySelection(joints, valid_frames, tuple(notes))


# --------------------------------------------------------------------------- API

#: Body selection modes: name -> function ``(parsed, max_bodies) -> BodySelection``.
BODY_MODES: dict[str, Callable[[ParsedSkeleton, int], BodySelection]] = {
    "tracked": _select_tracked,
    "energy": _select_energy,
    "first": _select_first,
}


def select_bodies_with_notes(parsed: ParsedSkeleton, mode: str, max_bodies: int = 2) -> BodySelection:
    """Choose ``max_bodies`` bodies per frame; return joints, kept frames and notes.

    Modes (see the module docstring): ``first``, ``energy``, ``tracked``.

    The ``tracked`` mode, step by step, as ``get_raw_skes_data.py`` and
    ``get_raw_denoised_data.py`` do it (verified in the code):

    0. Frames without bodies are dropped; records are grouped into tracks by ``bodyID``,
       numbered in order of first appearance (the reference's dict order). A track's
       length is its number of records; its interval runs from its first to its last frame.
    1. Only when the file has two or more tracks (a lone track is never denoised, however
       short): tracks of <= 11 records are dropped. If that drops every track the
       reference crashes (``IndexError``); we keep the longest (first appearing on ties)
       and say so in ``notes``.
    2. If more than one track is left: spread denoising, tracks in first-appearance
       order, stopping as soon as one track is left (so the last one standing is never
       dropped, as in the reference). A record is noisy when its x-extent > 0.8 *
       y-extent; a track with noisy/records >= 0.69754 is dropped; a track with some
       noisy records has its motion replaced by min(motion, motion of its non-noisy
       records).
    3. Motion = sum over x, y, z of the variance of all joints of all its records. Tracks
       are sorted by motion, descending (stable).
    4. Packing: the first track is actor 1; each following track goes to actor 1 if
       ``min(end1, end) - max(start1, start) <= 0`` (touching at one frame counts as no
       overlap; the later track then overwrites that frame), else to actor 2 under the
       same test, actor 2 starting from the reference's virtual interval [0, 0] (so its
       start stays 0 and the first candidate always fits), else it is dropped. Intervals
       grow to cover placed tracks. ``max_bodies`` other than 2 generalises this: actors
       2..max_bodies each start at [0, 0].
    5. Frames where no placed track is present are removed.

    Deliberate deviations from the reference:

    * Each record is placed at its true frame. The reference stacks a track's records
      contiguously from its first frame (``interval.append(previous + 1)``), which
      shifts a track that vanishes and reappears, and takes its end as first + records - 1.
    * Step 5 tests presence; the reference removes frames whose float32 coordinates sum
      to exactly 0, which differs only for all-zero records of a kept track.
    * Motion is computed in float64 over the float32 values (the reference: float32
      ``np.var``, whose accumulation error is about 1e-4 relative); only near-ties in
      motion can order differently. The spread test is reproduced exactly (float32
      extents, compared in float64 as NumPy 1.x promoted ``0.8 * float32``).
    * A file without any body record gives ``T = 0`` and a note (the reference asserts).

    Args:
        parsed: A parsed file (:func:`~actionkit.kernels.skeleton_text.parse_ntu_skeleton`).
        mode: One of :data:`BODY_MODES`.
        max_bodies: Bodies per output frame (>= 1).

    Returns:
        A :class:`BodySelection`: joints float32 ``[T, max_bodies, 25, 3]``, the file frame
        of every output frame, notes.

    Raises:
        ValueError: unknown mode or ``max_bodies < 1``.
    """
    try:
        select = BODY_MODES[mode]
    except KeyError:
        raise ValueError(f"unknown body mode {mode!r}; valid modes: {', '.join(BODY_MODES)}") from None
    max_bodies = int(max_bodies)
    if max_bodies < 1:
        raise ValueError(f"max_bodies must be >= 1, got {max_bodies}")
    return select(parsed, max_bodies)


def select_bodies(parsed: ParsedSkeleton, mode: str, max_bodies: int = 2) -> np.ndarray:
    """Joints float32 ``[T, max_bodies, 25, 3]`` of the chosen bodies.

    Shorthand for ``select_bodies_with_notes(parsed, mode, max_bodies).joints``; use that
    function to learn which frames were kept and whether a fallback was taken.
    """
    return select_bodies_with_notes(parsed, mode, max_bodies).joints
