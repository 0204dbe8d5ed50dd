"""Synthetic NTU RGB+D samples and datasets: scenes, sensor noise bodies, file names, splits.

:func:`generate_sample` animates one sample (performers placed in front of the camera,
plus optional ghost and "furniture" bodies and tracking-id switches, as genuine files
have); :func:`generate_file_bytes` returns it as ``.skeleton`` bytes;
:func:`generate_ntu_dataset` writes ``SsssCcccPpppRrrrAaaa.skeleton`` files whose names
cover both sides of the NTU-60 cross-subject and cross-view splits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from actionkit.synthetic.actions import _ANIMATORS, ACTIONS, Action, _resolve_action
from actionkit.synthetic.fileformat import KINECT_V2, BodyTrack, Camera, format_tracks
from actionkit.synthetic.motion import FPS, _idle, _Params
from actionkit.synthetic.sensor import _observe
from actionkit.synthetic.skeleton import NUM_JOINTS, _Dims, _Pose, _rx, _ry, _skeleton

NTU60_XSUB_TRAIN_PERFORMERS: tuple[int, ...] = (
    1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38,
)
_XSUB_TEST_PERFORMERS: tuple[int, ...] = tuple(
    p for p in range(1, 41) if p not in NTU60_XSUB_TRAIN_PERFORMERS
)
_BODY_ID_BASE = 2**56  # 72057594037927936: genuine ids are this plus a tracking counter


@dataclass
class SyntheticSample:
    """One generated sample.

    Attributes:
        action: The animated class.
        num_frames: Frames in the file.
        tracks: Bodies in file order (performers and any noise bodies).
        performers: Indices into ``tracks`` of the performers' tracks (a performer
            whose tracking id switched mid-sample has two).
        camera: The pixel mapping used.
    """

    action: Action
    num_frames: int
    tracks: list[BodyTrack]
    performers: list[int] = field(default_factory=list)
    camera: Camera = KINECT_V2

    def to_bytes(self, newline: str = "\r\n") -> bytes:
        """The sample as a genuine-layout ``.skeleton`` file."""
        return format_tracks(self.num_frames, self.tracks, camera=self.camera, newline=newline)


def _view_yaw(camera: int, replication: int) -> float:
    """Heading of a performer relative to the camera (0: facing it).

    NTU's three cameras stand at -45, 0 and +45 degrees; performers face the left
    camera in one replication and the right one in the other.
    """
    cam_angle = {1: 0.0, 2: -math.pi / 4, 3: math.pi / 4}.get(camera, 0.0)
    facing = math.pi / 4 if replication % 2 == 1 else -math.pi / 4
    return facing - cam_angle


def _performer_scale(performer: int | None, rng: np.random.Generator) -> float:
    if performer is None:
        return float(rng.uniform(0.9, 1.1))
    return 0.9 + 0.2 * ((performer * 0.6180339887) % 1.0) + float(rng.uniform(-0.01, 0.01))


def _frame_count(rng: np.random.Generator, frames) -> int:
    if frames is None:
        n = int(rng.integers(40, 151))
    elif isinstance(frames, (tuple, list)):
        lo, hi = frames
        n = int(rng.integers(int(lo), int(hi) + 1))
    else:
        n = int(frames)
    if n < 8:
        raise ValueError(f"need at least 8 frames, got {n}")
    return n


def generate_sample(
    rng: np.random.Generator,
    action: int | str | Action,
    frames: int | tuple[int, int] | None = None,
    bodies: int | None = None,
    *,
    camera: int = 1,
    replication: int = 1,
    performer: int | None = None,
    noise: bool | float = True,
) -> SyntheticSample:
    """Animate one sample.

    Args:
        rng: Source of all randomness (the result is a function of its state).
        action: NTU action id (1-based), key, name or :class:`Action`.
        frames: Frame count, a ``(lo, hi)`` range, or None for 40-150.
        bodies: Performers to animate; None for the action's own count. A second
            performer in a one-person action is a bystander who stands around; a
            mutual action with ``bodies=1`` keeps only its first performer.
        camera: NTU camera (1-3), which sets the viewing angle with ``replication``.
        replication: NTU replication (1 or 2).
        performer: NTU performer id; sets the body size (None: random).
        noise: Add the sensor artefacts genuine files have (short ghost bodies, spread
            "furniture" bodies, leading empty frames, tracking-id switches). A float
            scales their probabilities; False turns them off.
    """
    act = _resolve_action(action)
    n_bodies = act.persons if bodies is None else int(bodies)
    if n_bodies not in (1, 2):
        raise ValueError("bodies must be 1 or 2")
    noise_scale = float(noise) if not isinstance(noise, bool) else (1.0 if noise else 0.0)

    n = _frame_count(rng, frames)
    tau = np.arange(n) / FPS
    q = _Params(tau=tau, u=np.arange(n) / max(n - 1, 1), speed=float(rng.uniform(0.8, 1.25)),
                amp=float(rng.uniform(0.85, 1.15)))  # fmt: skip
    poses, sep = _ANIMATORS[act.action_id](rng, q)
    poses = poses[:n_bodies]
    if len(poses) < n_bodies:  # bystander
        poses.append(_Pose(n))
        sep = float(rng.uniform(0.9, 1.4))

    # Scene placement: performers side by side (facing each other for mutual actions).
    view = _view_yaw(camera, replication) + float(rng.uniform(-0.25, 0.25))
    floor_y = -float(rng.uniform(0.8, 1.0))
    centre = np.array([rng.uniform(-0.45, 0.45), floor_y, rng.uniform(2.7, 3.6)])
    tilt = float(rng.uniform(-0.06, 0.06))  # camera pitch
    scale = _performer_scale(performer, rng)
    r_view = _ry(np.array(view))
    actors = []
    for k, p in enumerate(poses):
        _idle(p, rng, tau)
        dims = _Dims.make(scale if k == 0 else float(rng.uniform(0.9, 1.1)), rng)
        local = _skeleton(p, dims)
        if len(poses) == 2:
            mutual = act.persons == 2
            heading = (-math.pi / 2 if k == 0 else math.pi / 2) if mutual else float(rng.uniform(-0.4, 0.4))
            origin = np.array([(-0.5 if k == 0 else 0.5) * sep, 0.0, 0.0])
        else:
            heading, origin = 0.0, np.zeros(3)
        world = local @ _ry(np.array(heading)).T + origin
        world = world @ r_view.T + centre
        world = world @ _rx(np.array(tilt)).T  # camera tilt about its own origin
        actors.append(world)

    cam = Camera(
        cx_depth=256.0 + float(rng.uniform(-3, 4)),
        cy_depth=208.0 + float(rng.uniform(-2, 2)),
        cx_color=956.0 + float(rng.uniform(-3, 3)),
        cy_color=545.0 + float(rng.uniform(-12, 12)),
    )

    # Tracks: performers, with optional id switches and empty leading frames.
    lead = int(rng.integers(1, 6)) if rng.random() < 0.15 * noise_scale else 0
    spans: list[tuple[int, np.ndarray, bool]] = []  # (start, clean xyz, is_noise)
    performer_spans = []
    for world in actors:
        if rng.random() < 0.06 * noise_scale and n - lead > 30:
            cut = int(rng.integers(lead + 10, n - 15))
            gap = int(rng.integers(1, 4))
            performer_spans += [len(spans), len(spans) + 1]
            spans.append((lead, world[lead:cut], False))
            spans.append((cut + gap, world[cut + gap :], False))
        else:
            performer_spans.append(len(spans))
            spans.append((lead, world[lead:], False))
    # Ghost bodies: a few frames of a displaced, distorted copy of a performer.
    n_ghosts = int((rng.random(2) < 0.3 * noise_scale).sum())
    for _ in range(n_ghosts):
        length = int(rng.integers(2, 11))
        st = int(rng.integers(lead, max(lead + 1, n - length)))
        src = actors[int(rng.integers(0, len(actors)))][st : st + length]
        shift = np.array([rng.uniform(-1.2, 1.2), rng.uniform(-0.1, 0.1), rng.uniform(-0.3, 1.2)])
        ghost = (src - src[:1, :1]) * rng.uniform(0.6, 1.2) + src[:1, :1] + shift
        ghost = ghost + rng.normal(scale=0.03, size=ghost.shape)
        spans.append((st, ghost, True))
    # A "furniture" body: wide and flat (x-extent well above 0.8 y-extent), nearly static.
    furniture_first = False
    if rng.random() < 0.15 * noise_scale:
        st = int(rng.integers(0, max(1, n // 3)))
        length = n - st - int(rng.integers(0, max(1, n // 4)))
        rest = _skeleton(_Pose(1), _Dims.make(1.0, rng))[0]
        shape = (rest - rest.mean(0)) * np.array([rng.uniform(3.0, 4.5), rng.uniform(0.15, 0.3), 1.5])
        yaw = float(rng.uniform(-0.5, 0.5))
        where = np.array([rng.choice([-1.0, 1.0]) * rng.uniform(1.0, 1.6), floor_y + rng.uniform(0.3, 0.8),
                          rng.uniform(3.2, 4.3)])  # fmt: skip
        body = shape @ _ry(np.array(yaw)).T + where
        jitter = rng.normal(scale=0.01, size=(length, NUM_JOINTS, 3))
        body = np.broadcast_to(body, (length, NUM_JOINTS, 3)) + jitter
        spans.append((st, body, True))
        furniture_first = bool(rng.random() < 0.5)

    # Tracking ids grow in order of appearance, as the Kinect hands them out.
    order = sorted(range(len(spans)), key=lambda i: (spans[i][0], i))
    next_id = _BODY_ID_BASE + int(rng.integers(1500, 60000))
    ids = {}
    for i in order:
        ids[i] = next_id
        next_id += int(rng.integers(1, 7))
    tracks = []
    for i, (st, xyz, noisy) in enumerate(spans):
        obs = _observe(rng, xyz, noisy=noisy)
        if noisy:
            obs["joint_state"] = np.where(rng.random(obs["joint_state"].shape) < 0.5, 1, obs["joint_state"])
        tracks.append(BodyTrack(body_id=ids[i], start=st, **obs))
    if furniture_first:  # listed before the performers in every frame it is in
        tracks.insert(0, tracks.pop())
        performer_spans = [i + 1 for i in performer_spans]
    return SyntheticSample(action=act, num_frames=n, tracks=tracks, performers=performer_spans, camera=cam)


def generate_file_bytes(
    rng: np.random.Generator,
    action: int | str | Action,
    frames: int | tuple[int, int] | None = None,
    bodies: int | None = None,
    *,
    camera: int = 1,
    replication: int = 1,
    performer: int | None = None,
    noise: bool | float = True,
    newline: str = "\r\n",
) -> bytes:
    """One genuine-layout ``.skeleton`` file in memory; arguments as :func:`generate_sample`."""
    sample = generate_sample(
        rng, action, frames, bodies, camera=camera, replication=replication, performer=performer, noise=noise
    )
    return sample.to_bytes(newline=newline)


def sample_name(setup: int, camera: int, performer: int, replication: int, action: int) -> str:
    """``SsssCcccPpppRrrrAaaa``."""
    return f"S{setup:03d}C{camera:03d}P{performer:03d}R{replication:03d}A{action:03d}"


def _sample_ids(action_id: int, i: int) -> tuple[int, int, int, int]:
    """(setup, camera, performer, replication) of the i-th sample of a class.

    Even samples have NTU-60 cross-subject training performers, odd ones test
    performers; cameras cycle 1, 2, 3 (camera 1 is the cross-view test camera), so any
    two samples of a class cover both splits' train and test sides. Names stay unique
    for up to 2,040 samples per class.
    """
    camera = i % 3 + 1
    replication = (i // 3) % 2 + 1
    setup = (i // 6 + action_id) % 17 + 1
    pool = NTU60_XSUB_TRAIN_PERFORMERS if i % 2 == 0 else _XSUB_TEST_PERFORMERS
    performer = pool[(i // 2 + 7 * action_id) % len(pool)]
    return setup, camera, performer, replication


def generate_ntu_dataset(
    out_dir: str | Path,
    *,
    samples_per_class: int = 8,
    seed: int = 0,
    classes: Iterable[int | str] | None = None,
    frames: int | tuple[int, int] | None = None,
    noise: bool | float = True,
    newline: str = "\r\n",
) -> list[Path]:
    """Write a small raw NTU RGB+D skeleton dataset (``.skeleton`` files) to ``out_dir``.

    Each file is a function of ``(seed, action id, sample index)`` only, so the files
    are byte-identical for a seed and a class's files do not depend on which other
    classes are generated. With ``samples_per_class >= 2`` every class has samples on
    both sides of the NTU-60 cross-subject and cross-view splits.

    Args:
        out_dir: Folder to write to (created if needed).
        samples_per_class: Files per class (1-2040).
        seed: Random seed.
        classes: NTU action ids (or keys/names) to generate; default all of :data:`ACTIONS`.
        frames: Frame count for every file, a ``(lo, hi)`` range, or None for 40-150.
        noise: As in :func:`generate_sample`.
        newline: Line ending (genuine files use CRLF).

    Returns:
        The written paths, sorted by name.
    """
    if not 1 <= samples_per_class <= 2040:
        raise ValueError("samples_per_class must be between 1 and 2040")
    acts = sorted(ACTIONS) if classes is None else sorted({_resolve_action(c).action_id for c in classes})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in acts:
        for i in range(samples_per_class):
            setup, camera, performer, replication = _sample_ids(a, i)
            rng = np.random.default_rng([int(seed), a, i])
            data = generate_file_bytes(
                rng, a, frames, camera=camera, replication=replication, performer=performer,
                noise=noise, newline=newline,
            )  # fmt: skip
            path = out / f"{sample_name(setup, camera, performer, replication, a)}.skeleton"
            path.write_bytes(data)
            paths.append(path)
    return sorted(paths)
