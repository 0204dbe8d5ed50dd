"""A procedural NTU RGB+D skeleton dataset, written in the genuine ``.skeleton`` format.

``actionkit demo`` and the benchmarks need NTU-style input without a download. This
module animates Kinect v2 skeletons (25 joints, camera space in metres, ``y`` up,
``z`` away from the sensor) with a small parametric motion model per action class and
writes them exactly as the genuine files are laid out::

    <frame count>
    per frame:  <body count>
      per body: bodyID clipedEdges handLeftConfidence handLeftState
                handRightConfidence handRightState isResticted leanX leanY trackingState
                25
                25 lines: x y z depthX depthY colorX colorY
                          orientationW orientationX orientationY orientationZ trackingState

Numbers are formatted as the genuine files have them (the Kinect SDK's single-precision
``G7``: up to 7 significant digits, ``0`` for zero, ``7.257856E-05`` for magnitudes
below 1e-4), lines end in CRLF, body ids are 17-digit integers (``2**56`` plus a
tracking counter, e.g. ``72057594037931648``), depth/colour pixel coordinates come from
a pinhole model fitted to genuine files (depth 512x424, colour 1920x1080), and joint
orientations are bone-aligned quaternions (zero for the seven leaf joints, as in the
genuine files).

Public API:

* :data:`ACTIONS` - the animated classes, keyed by their genuine 1-based NTU-60 id.
* :func:`generate_ntu_dataset` - write ``SsssCcccPpppRrrrAaaa.skeleton`` files.
* :func:`generate_file_bytes` - one file's bytes in memory (for benchmarks).
* :func:`generate_sample` - one sample as :class:`BodyTrack` arrays.
* :func:`format_skeleton_file` (per-frame :class:`Body` lists), :func:`format_tracks`
  (whole :class:`BodyTrack` arrays, fast) and :func:`format_number` - the writer.

Everything is deterministic for a given :class:`numpy.random.Generator` state or seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "ACTIONS",
    "Action",
    "BodyTrack",
    "Camera",
    "JOINT_NAMES",
    "KINECT_V2",
    "bone_orientations",
    "NTU60_XSUB_TRAIN_PERFORMERS",
    "SyntheticSample",
    "format_number",
    "Body",
    "format_skeleton_file",
    "format_tracks",
    "generate_file_bytes",
    "generate_ntu_dataset",
    "generate_sample",
    "sample_name",
]

FPS = 30.0
NUM_JOINTS = 25

JOINT_NAMES: tuple[str, ...] = (
    "SpineBase", "SpineMid", "Neck", "Head",
    "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
    "ShoulderRight", "ElbowRight", "WristRight", "HandRight",
    "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
    "HipRight", "KneeRight", "AnkleRight", "FootRight",
    "SpineShoulder", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
)  # fmt: skip
_J = {name: i for i, name in enumerate(JOINT_NAMES)}  # 0-based indices

# The joint a joint's orientation points to (Kinect stores the orientation of the bone
# leaving a joint; the seven leaf joints have an all-zero quaternion in genuine files).
_ORIENT_CHILD = np.array([
    _J["SpineMid"], _J["SpineShoulder"], _J["Head"], -1,
    _J["ElbowLeft"], _J["WristLeft"], _J["HandLeft"], _J["HandTipLeft"],
    _J["ElbowRight"], _J["WristRight"], _J["HandRight"], _J["HandTipRight"],
    _J["KneeLeft"], _J["AnkleLeft"], _J["FootLeft"], -1,
    _J["KneeRight"], _J["AnkleRight"], _J["FootRight"], -1,
    _J["Neck"], -1, -1, -1, -1,
])  # fmt: skip

NTU60_XSUB_TRAIN_PERFORMERS: tuple[int, ...] = (
    1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38,
)
_XSUB_TEST_PERFORMERS: tuple[int, ...] = tuple(
    p for p in range(1, 41) if p not in NTU60_XSUB_TRAIN_PERFORMERS
)
_BODY_ID_BASE = 2**56  # 72057594037927936: genuine ids are this plus a tracking counter


# --------------------------------------------------------------------------- formatting


def format_number(x: float) -> str:
    """Format one number as the genuine NTU files do.

    The files were written by the Kinect SDK's single-precision ``ToString()`` (``G7``):
    up to 7 significant digits, no trailing zeros, ``0`` for zero (also negative zero),
    and exponent notation with a capital ``E`` and two exponent digits below 1e-4
    (genuine files contain e.g. ``-7.257856E-05`` and ``5.861595E-06``). That is exactly
    C's ``%.7G``. Values are formatted as given; :func:`format_tracks` first
    rounds to single precision, as the Kinect does.

    Raises:
        ValueError: For NaN or infinity, which genuine files do not contain.
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot write a non-finite value ({x}) to a .skeleton file")
    if x == 0.0:
        return "0"
    return "%.7G" % x


@dataclass(frozen=True)
class Camera:
    """A Kinect v2 camera-space to pixel mapping (pinhole, fitted to genuine files).

    Genuine files satisfy ``depthX ~ 366.5 x/z + 256``, ``depthY ~ -366.7 y/z + 208``,
    ``colorX ~ 1057 (x + 0.052)/z + 956``, ``colorY ~ -1058 y/z + 545`` to within a
    pixel or so (the colour camera sits about 5 cm beside the depth camera).
    """

    fx_depth: float = 366.5
    fy_depth: float = 366.7
    cx_depth: float = 256.0
    cy_depth: float = 208.0
    fx_color: float = 1057.0
    fy_color: float = 1058.0
    cx_color: float = 956.0
    cy_color: float = 545.0
    baseline: float = 0.052
    depth_size: tuple[int, int] = (512, 424)

    def project(self, xyz: np.ndarray) -> np.ndarray:
        """Pixel coordinates ``(..., 4)``: depthX, depthY, colorX, colorY."""
        x, y = xyz[..., 0], xyz[..., 1]
        z = np.maximum(xyz[..., 2], 0.05)
        return np.stack(
            [
                self.fx_depth * x / z + self.cx_depth,
                -self.fy_depth * y / z + self.cy_depth,
                self.fx_color * (x + self.baseline) / z + self.cx_color,
                -self.fy_color * y / z + self.cy_color,
            ],
            axis=-1,
        )

    def clipped_edges(self, xyz: np.ndarray) -> np.ndarray:
        """Kinect ``FrameEdges`` flags per frame of ``(n, 25, 3)`` joints.

        1 right, 2 left, 4 top, 8 bottom: set when a joint projects outside the depth image.
        """
        pix = self.project(xyz)
        w, h = self.depth_size
        dx, dy = pix[..., 0], pix[..., 1]
        return (
            (dx >= w).any(-1) * 1 + (dx < 0).any(-1) * 2 + (dy < 0).any(-1) * 4 + (dy >= h).any(-1) * 8
        ).astype(np.int64)


KINECT_V2 = Camera()


@dataclass
class BodyTrack:
    """One tracked body over consecutive frames of a sample.

    Attributes:
        body_id: The Kinect tracking id (written as a plain integer; genuine ids are
            17 digits, above 2**53, so never pass them through a float).
        start: Index of the first frame the body appears in.
        xyz: ``(n, 25, 3)`` camera-space joint positions in metres.
        joint_state: ``(n, 25)`` joint tracking states (2 tracked, 1 inferred, 0 not
            tracked); all 2 when None.
        hand: ``(n, 4)`` handLeftConfidence, handLeftState, handRightConfidence,
            handRightState; all 0 when None.
        lean: ``(n, 2)`` leanX, leanY in [-1, 1]; computed from the spine when None.
        orientation: ``(n, 25, 4)`` quaternions (w, x, y, z); bone-aligned ones are
            computed from ``xyz`` when None.
    """

    body_id: int
    start: int
    xyz: np.ndarray
    joint_state: np.ndarray | None = None
    hand: np.ndarray | None = None
    lean: np.ndarray | None = None
    orientation: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xyz = np.asarray(self.xyz, dtype=np.float64)
        if self.xyz.ndim != 3 or self.xyz.shape[1:] != (NUM_JOINTS, 3):
            raise ValueError(f"xyz must have shape (n, 25, 3), got {self.xyz.shape}")
        if not 0 <= int(self.body_id) < 10**20:
            raise ValueError(f"body_id out of range: {self.body_id}")
        if self.start < 0:
            raise ValueError("start must be >= 0")

    @property
    def stop(self) -> int:
        """One past the last frame index the body appears in."""
        return self.start + len(self.xyz)


def _normalize(v: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), eps)


def _mat_to_quat(m: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` to unit quaternions ``(..., 4)`` (w, x, y, z)."""
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    w = 0.5 * np.sqrt(np.maximum(0.0, 1.0 + m00 + m11 + m22))
    x = 0.5 * np.sqrt(np.maximum(0.0, 1.0 + m00 - m11 - m22))
    y = 0.5 * np.sqrt(np.maximum(0.0, 1.0 - m00 + m11 - m22))
    z = 0.5 * np.sqrt(np.maximum(0.0, 1.0 - m00 - m11 + m22))
    x = np.copysign(x, m[..., 2, 1] - m[..., 1, 2])
    y = np.copysign(y, m[..., 0, 2] - m[..., 2, 0])
    z = np.copysign(z, m[..., 1, 0] - m[..., 0, 1])
    return _normalize(np.stack([w, x, y, z], axis=-1))


def bone_orientations(xyz: np.ndarray) -> np.ndarray:
    """Kinect-style joint orientations ``(n, 25, 4)`` for joints ``(n, 25, 3)``.

    Each joint's frame has ``y`` along the bone to its child and ``z`` towards the
    body's front (``x = y x z``), as the Kinect SDK defines them; the seven leaf joints
    (head, feet, hand tips, thumbs) get the all-zero quaternion the genuine files have.
    """
    has_child = _ORIENT_CHILD >= 0
    child = np.where(has_child, _ORIENT_CHILD, 0)
    right = xyz[:, _J["ShoulderRight"]] - xyz[:, _J["ShoulderLeft"]]
    right = right + (xyz[:, _J["HipRight"]] - xyz[:, _J["HipLeft"]])
    up = xyz[:, _J["SpineShoulder"]] - xyz[:, _J["SpineBase"]]
    front = _normalize(np.cross(up, right))[:, None, :]  # (n, 1, 3)
    up = _normalize(up)[:, None, :]
    ybone = _normalize(xyz[:, child] - xyz)  # (n, 25, 3)
    ref = np.where(np.abs((ybone * front).sum(-1, keepdims=True)) > 0.95, up, front)
    zax = _normalize(ref - (ref * ybone).sum(-1, keepdims=True) * ybone)
    xax = np.cross(ybone, zax)
    quat = _mat_to_quat(np.stack([xax, ybone, zax], axis=-1))
    quat[:, ~has_child] = 0.0
    return quat


def _lean_from_spine(xyz: np.ndarray) -> np.ndarray:
    """leanX, leanY ``(n, 2)`` from the spine's tilt (Kinect: -1..1, 0 upright)."""
    spine = _normalize(xyz[:, _J["SpineShoulder"]] - xyz[:, _J["SpineBase"]])
    right = _normalize(xyz[:, _J["HipRight"]] - xyz[:, _J["HipLeft"]])
    front = _normalize(np.cross(spine, right))
    lean = np.stack([(spine * right).sum(-1), (spine * front).sum(-1)], axis=-1) * 2.0
    return np.clip(lean, -1.0, 1.0)


def _track_rows(track: BodyTrack, camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Joint rows ``(n, 25, 12)`` and body-info rows ``(n, 10)`` (both float64)."""
    n = len(track.xyz)
    xyz = track.xyz
    quat = track.orientation if track.orientation is not None else bone_orientations(xyz)
    state = (
        np.full((n, NUM_JOINTS), 2.0) if track.joint_state is None else np.asarray(track.joint_state)
    )
    rows = np.empty((n, NUM_JOINTS, 12), dtype=np.float64)
    rows[..., 0:3] = xyz
    rows[..., 3:7] = camera.project(xyz)
    rows[..., 7:11] = quat
    # Kinect writes single-precision values; "+ 0.0" turns -0.0 into 0.0.
    rows[..., 0:11] = rows[..., 0:11].astype(np.float32).astype(np.float64) + 0.0
    rows[..., 11] = state
    hand = np.zeros((n, 4)) if track.hand is None else np.asarray(track.hand, dtype=np.float64)
    lean = _lean_from_spine(xyz) if track.lean is None else np.asarray(track.lean, dtype=np.float64)
    info = np.zeros((n, 10), dtype=np.float64)
    info[:, 1] = camera.clipped_edges(xyz)
    info[:, 2:6] = hand
    info[:, 7:9] = lean.astype(np.float32).astype(np.float64) + 0.0
    info[:, 9] = 2.0
    return rows, info


def format_tracks(
    num_frames: int,
    tracks: Sequence[BodyTrack],
    *,
    camera: Camera = KINECT_V2,
    newline: str = "\r\n",
) -> bytes:
    """Write a genuine-layout ``.skeleton`` file from whole-body tracks (the fast path).

    Args:
        num_frames: Number of frames; frames no track covers get a body count of 0.
        tracks: The bodies, listed in each frame in this order.
        camera: Pixel mapping for depthX/depthY/colorX/colorY and clipedEdges.
        newline: ``"\\r\\n"`` as in the genuine files, or ``"\\n"``.

    Returns:
        ASCII bytes, ending with a newline after the last line.

    Raises:
        ValueError: For tracks outside ``[0, num_frames)`` or non-finite values.
    """
    if num_frames < 0:
        raise ValueError("num_frames must be >= 0")
    nl = newline
    info_fmt = "%d %d %d %d %d %d %d %.7G %.7G %d" + nl + "25" + nl
    joints_fmt = ("%.7G " * 11 + "%d" + nl) * NUM_JOINTS
    per_frame: list[list[str]] = [[] for _ in range(num_frames)]
    for tr in tracks:
        if tr.stop > num_frames:
            raise ValueError(f"body {tr.body_id} runs past frame {num_frames}")
        rows, info = _track_rows(tr, camera)
        if not (np.isfinite(rows).all() and np.isfinite(info).all()):
            raise ValueError(f"body {tr.body_id} has non-finite values")
        bid = int(tr.body_id)
        for k, (inf, r) in enumerate(zip(info.tolist(), rows.reshape(len(rows), -1).tolist())):
            per_frame[tr.start + k].append((info_fmt % (bid, *inf[1:])) + (joints_fmt % tuple(r)))
    out = [f"{num_frames}{nl}"]
    for present in per_frame:
        out.append(f"{len(present)}{nl}")
        out.extend(present)
    return "".join(out).encode("ascii")


@dataclass
class Body:
    """One body in one frame, for :func:`format_skeleton_file`.

    Attributes:
        body_id: The Kinect tracking id (17 digits in genuine files).
        xyz: ``(25, 3)`` camera-space joint positions in metres.
        joint_state: ``(25,)`` tracking states; all 2 when None.
        hand: handLeftConfidence, handLeftState, handRightConfidence, handRightState.
        lean: leanX, leanY; from the spine when None.
        orientation: ``(25, 4)`` quaternions (w, x, y, z); bone-aligned when None.
    """

    body_id: int
    xyz: np.ndarray
    joint_state: np.ndarray | None = None
    hand: Sequence[int] | None = None
    lean: Sequence[float] | None = None
    orientation: np.ndarray | None = None


def _one_frame_track(body, frame: int) -> BodyTrack:
    if isinstance(body, Body):
        b = body.__dict__
        body_id = body.body_id
    else:
        b = body
        body_id = b["body_id"] if "body_id" in b else b["id"]

    def opt(*keys):
        for k in keys:
            if b.get(k) is not None:
                return np.asarray(b[k])[None]
        return None

    return BodyTrack(
        body_id=int(body_id),
        start=frame,
        xyz=np.asarray(b["xyz"], dtype=np.float64)[None],
        joint_state=opt("joint_state", "tracking_state"),
        hand=opt("hand"),
        lean=opt("lean"),
        orientation=opt("orientation"),
    )


def format_skeleton_file(
    frames: Sequence[Sequence[Body | dict]],
    *,
    camera: Camera = KINECT_V2,
    newline: str = "\r\n",
) -> bytes:
    """Write a genuine-layout ``.skeleton`` file from per-frame bodies.

    Args:
        frames: For every frame, its bodies in file order (an empty list writes a body
            count of 0). A body is a :class:`Body` or a mapping with ``"id"`` (or
            ``"body_id"``) and ``"xyz"`` ``(25, 3)``, optionally ``"joint_state"`` (or
            ``"tracking_state"``), ``"hand"``, ``"lean"`` and ``"orientation"``.
        camera: Pixel mapping for depthX/depthY/colorX/colorY and clipedEdges.
        newline: ``"\\r\\n"`` as in the genuine files, or ``"\\n"``.

    Returns:
        ASCII bytes, ending with a newline after the last line.

    Raises:
        ValueError: For non-finite values (genuine files have none).
    """
    tracks = [_one_frame_track(b, f) for f, bodies in enumerate(frames) for b in bodies]
    return format_tracks(len(frames), tracks, camera=camera, newline=newline)


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Action:
    """An animated action class.

    Attributes:
        action_id: The genuine NTU-60 action id, 1-based (the ``Aaaa`` of file names).
        name: The class name as in the NTU-60 label map.
        persons: Number of performers (1, or 2 for the mutual actions A050-A060).
        key: A short identifier.
    """

    action_id: int
    name: str
    persons: int
    key: str

    @property
    def label(self) -> int:
        """The 0-based NTU-60 label."""
        return self.action_id - 1


ACTIONS: dict[int, Action] = {
    a.action_id: a
    for a in (
        Action(8, "sitting down", 1, "sitting_down"),
        Action(9, "standing up (from sitting position)", 1, "standing_up"),
        Action(10, "clapping", 1, "clapping"),
        Action(23, "hand waving", 1, "hand_waving"),
        Action(24, "kicking something", 1, "kicking"),
        Action(26, "hopping (one foot jumping)", 1, "hopping"),
        Action(27, "jump up", 1, "jump_up"),
        Action(35, "nod head/bow", 1, "nod_bow"),
        Action(38, "salute", 1, "salute"),
        Action(43, "falling", 1, "falling"),
        Action(50, "punching/slapping other person", 2, "punching"),
        Action(55, "hugging other person", 2, "hugging"),
        Action(58, "handshaking", 2, "handshaking"),
        Action(59, "walking towards each other", 2, "walking_towards"),
    )
}


def _resolve_action(action: int | str | Action) -> Action:
    if isinstance(action, Action):
        return action
    if isinstance(action, (int, np.integer)):
        if int(action) in ACTIONS:
            return ACTIONS[int(action)]
        raise KeyError(f"no synthetic animation for NTU action id {action}; have {sorted(ACTIONS)}")
    for a in ACTIONS.values():
        if action in (a.key, a.name, f"A{a.action_id:03d}"):
            return a
    raise KeyError(f"unknown synthetic action {action!r}")


# --------------------------------------------------------------------------- kinematics


def _rx(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([o, z, z, z, c, -s, z, s, c], -1).reshape(*a.shape, 3, 3)


def _ry(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, z, s, z, o, z, -s, z, c], -1).reshape(*a.shape, 3, 3)


def _rz(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, -s, z, s, c, z, z, z, o], -1).reshape(*a.shape, 3, 3)


def _tilt(angle: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Tip the body over by ``angle`` towards ``direction`` (0 front, +pi/2 right)."""
    axis = np.stack([np.cos(direction), np.zeros_like(direction), np.sin(direction)], -1)
    k = np.zeros((*angle.shape, 3, 3))
    k[..., 0, 1], k[..., 0, 2] = -axis[..., 2], axis[..., 1]
    k[..., 1, 0], k[..., 1, 2] = axis[..., 2], -axis[..., 0]
    k[..., 2, 0], k[..., 2, 1] = -axis[..., 1], axis[..., 0]
    phi = -angle[..., None, None]
    return np.eye(3) + np.sin(phi) * k + (1.0 - np.cos(phi)) * (k @ k)


def _apply(r: np.ndarray, v) -> np.ndarray:
    """Rotate ``v`` (``(3,)`` or ``(T, 3)``) by ``r`` ``(T, 3, 3)``."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 1:
        return r @ v
    return np.einsum("tij,tj->ti", r, v)


def _limb_dir(elev: np.ndarray, azim: np.ndarray, side: float) -> np.ndarray:
    """Unit direction in a body frame (x right, y up, -z front).

    ``elev`` is the angle from straight down (0 hanging, pi/2 horizontal, pi up; negative
    swings backwards), ``azim`` turns the swing from the front (0) outwards (pi/2 to the
    limb's own side; negative crosses the body).
    """
    s = np.sin(elev)
    return np.stack([s * np.sin(azim) * side, -np.cos(elev), -s * np.cos(azim)], -1)


_SIDES = (("L", -1.0), ("R", 1.0))

_REST = {
    "root_fwd": 0.0, "root_side": 0.0, "lift": 0.0, "yaw": 0.0,
    "tilt": 0.0, "tilt_dir": 0.0,
    "trunk_pitch": 0.03, "trunk_roll": 0.0, "trunk_twist": 0.0,
    "head_pitch": 0.05, "head_yaw": 0.0,
    "ua_elev": 0.12, "ua_azim": 0.35, "fa_elev": 0.22, "fa_azim": 0.1, "hand_flex": 0.1,
    "th_elev": 0.03, "th_azim": 0.04, "sh_elev": -0.01,
}  # fmt: skip
_LIMB_KEYS = ("ua_elev", "ua_azim", "fa_elev", "fa_azim", "hand_flex", "th_elev", "th_azim", "sh_elev")


class _Pose(dict):
    """Per-frame pose parameters of one performer: name -> ``(T,)`` array."""

    def __init__(self, n: int):
        super().__init__()
        for k, v in _REST.items():
            if k in _LIMB_KEYS:
                for s, _ in _SIDES:
                    self[f"{k}_{s}"] = np.full(n, v)
            else:
                self[k] = np.full(n, v)
        self.n = n
        self.support = "both"  # joints kept on the floor: both | L | R | all
        self.plant = True  # keep the supporting ankles in place horizontally

    def blend(self, key: str, target, weight) -> None:
        """Move ``key`` towards ``target`` by ``weight`` (0 keeps, 1 replaces)."""
        self[key] = self[key] + (np.asarray(target, dtype=np.float64) - self[key]) * weight


@dataclass(frozen=True)
class _Dims:
    """Segment lengths of one performer, metres."""

    spine1: float
    spine2: float
    neck: float
    head: float
    shoulder: float
    upper_arm: float
    forearm: float
    hand: float
    hand_tip: float
    thumb: float
    hip: float
    thigh: float
    shin: float
    foot: float

    @staticmethod
    def make(scale: float, rng: np.random.Generator) -> _Dims:
        base = (0.28, 0.21, 0.07, 0.125, 0.15, 0.25, 0.225, 0.06, 0.07, 0.045, 0.07, 0.34, 0.36, 0.11)
        var = rng.uniform(0.96, 1.04, size=len(base))
        return _Dims(*(float(b * scale * v) for b, v in zip(base, var)))


def _support_sides(support: str) -> tuple[str, ...]:
    if support in ("both", "all"):
        return ("Left", "Right")
    return ("Left",) if support == "L" else ("Right",)


def _skeleton(p: _Pose, d: _Dims) -> np.ndarray:
    """Joints ``(T, 25, 3)`` in the performer's own frame (floor at y = 0)."""
    n = p.n
    j = np.zeros((n, NUM_JOINTS, 3))
    r_yaw = _ry(p["yaw"])
    rp = r_yaw @ _tilt(p["tilt"], p["tilt_dir"])
    rm = rp @ _ry(0.5 * p["trunk_twist"]) @ _rx(-0.5 * p["trunk_pitch"]) @ _rz(-0.5 * p["trunk_roll"])
    rt = rp @ _ry(p["trunk_twist"]) @ _rx(-p["trunk_pitch"]) @ _rz(-p["trunk_roll"])
    rh = rt @ _ry(p["head_yaw"]) @ _rx(-p["head_pitch"])

    j[:, _J["SpineMid"]] = _apply(rm, [0.0, d.spine1, 0.0])
    ss = j[:, _J["SpineMid"]] + _apply(rt, [0.0, d.spine2, 0.0])
    j[:, _J["SpineShoulder"]] = ss
    j[:, _J["Neck"]] = ss + _apply(rh, [0.0, d.neck, 0.0])
    j[:, _J["Head"]] = j[:, _J["Neck"]] + _apply(rh, [0.0, d.head, -0.02 * d.head / 0.12])

    t_right, t_up = rt[:, :, 0], rt[:, :, 1]
    for s, sign in _SIDES:
        name = "Left" if s == "L" else "Right"
        sh = ss + _apply(rt, [sign * d.shoulder, -0.035, 0.01])
        el = sh + _apply(rt, _limb_dir(p[f"ua_elev_{s}"], p[f"ua_azim_{s}"], sign)) * d.upper_arm
        fa = _apply(rt, _limb_dir(p[f"fa_elev_{s}"], p[f"fa_azim_{s}"], sign))
        wr = el + fa * d.forearm
        hd = _apply(rt, _limb_dir(p[f"fa_elev_{s}"] + p[f"hand_flex_{s}"], p[f"fa_azim_{s}"], sign))
        ha = wr + hd * d.hand
        thumb_dir = _normalize(-np.cross(hd, t_right + 0.3 * sign * t_up))
        j[:, _J[f"Shoulder{name}"]] = sh
        j[:, _J[f"Elbow{name}"]] = el
        j[:, _J[f"Wrist{name}"]] = wr
        j[:, _J[f"Hand{name}"]] = ha
        j[:, _J[f"HandTip{name}"]] = ha + hd * d.hand_tip
        j[:, _J[f"Thumb{name}"]] = ha + 0.3 * d.thumb * hd + d.thumb * thumb_dir

        hip = _apply(rp, [sign * d.hip, -0.03, 0.0])
        kn = hip + _apply(rp, _limb_dir(p[f"th_elev_{s}"], p[f"th_azim_{s}"], sign)) * d.thigh
        an = kn + _apply(rp, _limb_dir(p[f"sh_elev_{s}"], p[f"th_azim_{s}"], sign)) * d.shin
        ft_dir = _limb_dir(p[f"sh_elev_{s}"] + 1.3, p[f"th_azim_{s}"] + 0.15, sign)
        j[:, _J[f"Hip{name}"]] = hip
        j[:, _J[f"Knee{name}"]] = kn
        j[:, _J[f"Ankle{name}"]] = an
        j[:, _J[f"Foot{name}"]] = an + _apply(rp, ft_dir) * d.foot

    # Floor contact: the lowest supporting joint touches y = 0 (ankles sit ~7 cm up).
    if p.support == "all":
        sup = np.arange(NUM_JOINTS)
        clearance = np.full(NUM_JOINTS, 0.06)
    else:
        sides = _support_sides(p.support)
        sup = np.array([_J[f"{k}{s}"] for s in sides for k in ("Ankle", "Foot")])
        clearance = np.array([0.07, 0.035] * len(sides))
    ground = -(j[:, sup, 1] - clearance).min(axis=1)
    offset = np.zeros((n, 3))
    offset[:, 1] = ground + p["lift"]
    if p.plant:
        sides = _support_sides(p.support)
        ank = j[:, [_J[f"Ankle{s}"] for s in sides]].mean(axis=1)
        offset[:, [0, 2]] = ank[:1, [0, 2]] - ank[:, [0, 2]]
    disp = np.stack([p["root_side"], np.zeros(n), -p["root_fwd"]], -1)
    offset += _apply(r_yaw, disp)
    return j + offset[:, None, :]


# --------------------------------------------------------------------------- motion helpers


def _smooth(x: np.ndarray, a: float, b: float) -> np.ndarray:
    """0 before ``a``, 1 after ``b``, smoothstep between."""
    t = np.clip((x - a) / max(b - a, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _bump(x: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """Rise over [a, b], hold, fall over [c, d]."""
    return _smooth(x, a, b) - _smooth(x, c, d)


def _keys(x: np.ndarray, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Smooth (ease in/out) interpolation through keyframes, constant outside them."""
    xs_a = np.asarray(xs, dtype=np.float64)
    ys_a = np.asarray(ys, dtype=np.float64)
    i = np.clip(np.searchsorted(xs_a, x, side="right") - 1, 0, len(xs_a) - 2)
    x0, x1 = xs_a[i], xs_a[i + 1]
    t = np.clip((x - x0) / np.maximum(x1 - x0, 1e-9), 0.0, 1.0)
    t = t * t * (3.0 - 2.0 * t)
    return ys_a[i] + (ys_a[i + 1] - ys_a[i]) * t


def _wobble(rng: np.random.Generator, tau: np.ndarray, amp: float, freq: float = 0.4) -> np.ndarray:
    """A smooth random signal (sum of three sinusoids)."""
    f = freq * rng.uniform(0.5, 1.5, 3)
    ph = rng.uniform(0.0, 2 * np.pi, 3)
    w = rng.uniform(0.5, 1.0, 3)
    sig = (w[:, None] * np.sin(2 * np.pi * f[:, None] * tau[None, :] + ph[:, None])).sum(0)
    return amp * sig / w.sum()


def _idle(p: _Pose, rng: np.random.Generator, tau: np.ndarray) -> None:
    """Small natural sway every performer has."""
    p["trunk_roll"] = p["trunk_roll"] + _wobble(rng, tau, 0.02, 0.3)
    p["trunk_pitch"] = p["trunk_pitch"] + _wobble(rng, tau, 0.02, 0.25)
    p["head_yaw"] = p["head_yaw"] + _wobble(rng, tau, 0.08, 0.2)
    p["head_pitch"] = p["head_pitch"] + _wobble(rng, tau, 0.04, 0.3)
    p["root_side"] = p["root_side"] + _wobble(rng, tau, 0.015, 0.2)
    for s, _ in _SIDES:
        p[f"ua_elev_{s}"] = p[f"ua_elev_{s}"] + _wobble(rng, tau, 0.04, 0.3)
        p[f"fa_elev_{s}"] = p[f"fa_elev_{s}"] + _wobble(rng, tau, 0.06, 0.3)


def _gait(p: _Pose, dist: np.ndarray, step: float, amp: float) -> None:
    """Walking legs and counter-swinging arms for a travelled distance ``dist`` (T,)."""
    speed = np.abs(np.gradient(dist)) * FPS
    mv = np.clip(speed / 0.4, 0.0, 1.0)
    phase = np.pi * dist / step
    sw = np.sin(phase)
    for s, sign in _SIDES:
        leg = sw if s == "L" else -sw
        swing = np.clip(np.cos(phase) * (1 if s == "L" else -1), 0.0, 1.0)
        p[f"th_elev_{s}"] = p[f"th_elev_{s}"] + amp * leg * mv
        p[f"sh_elev_{s}"] = p[f"th_elev_{s}"] - 0.05 - 0.9 * swing * mv
        p[f"ua_elev_{s}"] = p[f"ua_elev_{s}"] - 0.35 * leg * mv
        p[f"ua_azim_{s}"] = p[f"ua_azim_{s}"] * (1.0 - 0.7 * mv)
        p[f"fa_elev_{s}"] = p[f"fa_elev_{s}"] - 0.3 * leg * mv + 0.2 * mv
    p["root_side"] = p["root_side"] + 0.02 * np.sin(phase) * mv


# Each animator gets (rng, T, sample params) and returns the performers' poses plus,
# for mutual actions, their initial separation in metres.


@dataclass
class _Params:
    tau: np.ndarray  # seconds
    u: np.ndarray  # 0..1 over the sample
    speed: float
    amp: float

    @property
    def n(self) -> int:
        return len(self.u)


def _onset(rng: np.random.Generator, lo: float = 0.05, hi: float = 0.2) -> float:
    return float(rng.uniform(lo, hi))


def _anim_clapping(rng, q: _Params):
    p = _Pose(q.n)
    a0 = _onset(rng)
    env = _bump(q.u, a0, a0 + 0.12, rng.uniform(0.78, 0.86), 0.97)
    f = 2.6 * q.speed
    c = 0.5 * (1.0 - np.cos(2 * np.pi * f * q.tau))
    for s, _ in _SIDES:
        p.blend(f"ua_elev_{s}", 0.7 * q.amp, env)
        p.blend(f"ua_azim_{s}", 0.25, env)
        p.blend(f"fa_elev_{s}", 1.45, env)
        p.blend(f"fa_azim_{s}", -0.78 + 0.6 * q.amp * c, env)
        p.blend(f"hand_flex_{s}", 0.0, env)
    return [p], None


def _anim_waving(rng, q: _Params):
    p = _Pose(q.n)
    s = "R" if rng.random() < 0.8 else "L"
    a0 = _onset(rng)
    env = _bump(q.u, a0, a0 + 0.12, rng.uniform(0.75, 0.86), 0.96)
    f = 1.8 * q.speed
    osc = np.sin(2 * np.pi * f * q.tau + rng.uniform(0, 2 * np.pi))
    p.blend(f"ua_elev_{s}", 1.35 * min(q.amp, 1.1), env)
    p.blend(f"ua_azim_{s}", 1.0, env)
    p.blend(f"fa_elev_{s}", 2.55 + 0.38 * q.amp * osc, env)
    p.blend(f"fa_azim_{s}", 1.25, env)
    p.blend(f"hand_flex_{s}", 0.2 * osc, env)
    return [p], None


def _anim_sit(rng, q: _Params, reverse: bool):
    p = _Pose(q.n)
    a = rng.uniform(0.12, 0.35)
    w = rng.uniform(0.3, 0.45) / q.speed
    s = _smooth(q.u, a, min(a + w, 0.95))
    if reverse:
        s = 1.0 - s
    trans = np.sin(np.pi * _smooth(q.u, a, min(a + w, 0.95)))  # leaning forward mid-way
    for side, _ in _SIDES:
        p.blend(f"th_elev_{side}", 1.5 + rng.uniform(-0.08, 0.05), s)
        p.blend(f"th_azim_{side}", 0.15, s)
        p.blend(f"sh_elev_{side}", rng.uniform(-0.05, 0.15), s)
        p.blend(f"ua_elev_{side}", 0.45, s)
        p.blend(f"fa_elev_{side}", 1.2, s)
        p.blend(f"fa_azim_{side}", -0.1, s)
    p["trunk_pitch"] = p["trunk_pitch"] + 0.55 * q.amp * trans + 0.1 * s
    p["head_pitch"] = p["head_pitch"] - 0.2 * trans
    return [p], None


def _anim_kick(rng, q: _Params):
    p = _Pose(q.n)
    s = "R" if rng.random() < 0.7 else "L"
    other = "L" if s == "R" else "R"
    p.support = other
    n_kicks = 1 if rng.random() < 0.7 else 2
    starts = np.sort(rng.uniform(0.15, 0.65 if n_kicks == 1 else 0.45, n_kicks))
    if n_kicks == 2:
        starts[1] = max(starts[1], starts[0] + 0.35)
    dur = rng.uniform(0.25, 0.4) / q.speed
    th = np.full(q.n, _REST["th_elev"])
    sh = np.full(q.n, _REST["sh_elev"])
    for st in starts:
        k = [st, st + 0.3 * dur, st + 0.55 * dur, st + 0.8 * dur, st + dur]
        th = th + _keys(q.u, k, [0, -0.35, 1.15 * q.amp, 0.25, 0])
        sh = sh + _keys(q.u, k, [0, -1.5, 1.0 * q.amp, -0.6, 0])
    p[f"th_elev_{s}"] = th
    p[f"sh_elev_{s}"] = sh
    kick = np.clip(th - _REST["th_elev"], 0.0, None)
    p["trunk_pitch"] = p["trunk_pitch"] - 0.15 * kick
    p.blend(f"ua_elev_{other}", 0.7, np.clip(kick, 0, 1))
    p.blend(f"ua_azim_{s}", 0.9, np.clip(kick, 0, 1))
    p.blend(f"ua_elev_{s}", 0.5, np.clip(kick, 0, 1))
    return [p], None


def _anim_hopping(rng, q: _Params):
    p = _Pose(q.n)
    up = "R" if rng.random() < 0.6 else "L"
    stance = "L" if up == "R" else "R"
    p.support = stance
    a0 = _onset(rng, 0.05, 0.15)
    env = _bump(q.u, a0, a0 + 0.08, rng.uniform(0.82, 0.9), 0.97)
    p.blend(f"th_elev_{up}", 0.55, env)
    p.blend(f"sh_elev_{up}", -1.1, env)
    f = 2.0 * q.speed
    ph = 2 * np.pi * f * q.tau
    hop = np.clip(np.sin(ph), 0.0, None)
    land = np.clip(-np.sin(ph), 0.0, None)
    h = rng.uniform(0.06, 0.13) * q.amp
    p["lift"] = h * hop * env
    p[f"th_elev_{stance}"] = p[f"th_elev_{stance}"] + 0.45 * land * env
    p[f"sh_elev_{stance}"] = p[f"sh_elev_{stance}"] - 0.5 * land * env
    p["trunk_pitch"] = p["trunk_pitch"] + 0.15 * land * env
    for s, _ in _SIDES:
        p.blend(f"ua_azim_{s}", 0.9, env)
        p.blend(f"ua_elev_{s}", 0.45 + 0.2 * hop, env)
        p.blend(f"fa_elev_{s}", 0.9, env)
    return [p], None


def _anim_jump(rng, q: _Params):
    p = _Pose(q.n)
    n_jumps = 1 if rng.random() < 0.75 else 2
    h = rng.uniform(0.15, 0.32) * q.amp
    flight = 2.0 * math.sqrt(2.0 * h / 9.81)  # seconds
    total = q.tau[-1] if q.n > 1 else 1.0
    crouch = np.zeros(q.n)
    lift = np.zeros(q.n)
    swing = np.zeros(q.n)
    first = rng.uniform(0.25, 0.45 if n_jumps == 1 else 0.3) * total
    gap = max(flight + 0.9, total * 0.35)
    for k in range(n_jumps):
        t1 = first + k * gap  # take-off, seconds
        x = (q.tau - t1) / flight
        lift += np.where((x > 0) & (x < 1), 4.0 * h * x * (1.0 - x), 0.0)
        prep = 0.45 / q.speed
        crouch += _keys(q.tau, [t1 - prep, t1 - 0.12, t1], [0, 1, 0])
        crouch += _keys(q.tau, [t1 + flight, t1 + flight + 0.12, t1 + flight + 0.5], [0, 0.8, 0])
        swing += _keys(q.tau, [t1 - prep, t1 - 0.12, t1 + 0.1, t1 + flight + 0.3], [0, -1, 1, 0])
    crouch = np.clip(crouch, 0.0, 1.0) * q.amp
    p["lift"] = lift
    airborne = (lift > 0).astype(np.float64)
    for s, _ in _SIDES:
        p[f"th_elev_{s}"] = p[f"th_elev_{s}"] + 1.0 * crouch
        p[f"sh_elev_{s}"] = p[f"sh_elev_{s}"] - 1.0 * crouch - 0.15 * airborne
        p[f"ua_elev_{s}"] = p[f"ua_elev_{s}"] + np.where(swing > 0, 1.9 * swing, 0.6 * swing)
        p[f"ua_azim_{s}"] = p[f"ua_azim_{s}"] * (1 - 0.6 * np.abs(swing))
        p[f"fa_elev_{s}"] = p[f"fa_elev_{s}"] + np.where(swing > 0, 1.8 * swing, 0.3 * swing)
    p["trunk_pitch"] = p["trunk_pitch"] + 0.5 * crouch
    return [p], None


def _anim_nod_bow(rng, q: _Params):
    p = _Pose(q.n)
    if rng.random() < 0.5:  # bow
        n_bows = 1 if rng.random() < 0.7 else 2
        depth = rng.uniform(0.45, 0.85) * q.amp
        starts = np.linspace(rng.uniform(0.1, 0.25), 0.75, n_bows + 1)[:-1]
        length = (0.85 - starts[0]) / n_bows
        for st in starts:
            k = [st, st + 0.35 * length, st + 0.6 * length, st + 0.95 * length]
            p["trunk_pitch"] = p["trunk_pitch"] + _keys(q.u, k, [0, depth, depth, 0])
            p["head_pitch"] = p["head_pitch"] + _keys(q.u, k, [0, 0.3, 0.3, 0])
        for s, _ in _SIDES:
            p.blend(f"ua_azim_{s}", 0.05, _smooth(p["trunk_pitch"], 0.1, 0.4))
    else:  # nods
        a0 = _onset(rng, 0.1, 0.3)
        env = _bump(q.u, a0, a0 + 0.05, rng.uniform(0.6, 0.85), 0.9)
        f = 1.5 * q.speed
        nod = 0.5 * (1 - np.cos(2 * np.pi * f * (q.tau - q.tau[int(a0 * (q.n - 1))])))
        p["head_pitch"] = p["head_pitch"] + 0.45 * q.amp * nod * env
        p["trunk_pitch"] = p["trunk_pitch"] + 0.06 * nod * env
    return [p], None


def _anim_salute(rng, q: _Params):
    p = _Pose(q.n)
    s = "R" if rng.random() < 0.9 else "L"
    a0 = _onset(rng, 0.08, 0.3)
    rise = rng.uniform(0.1, 0.18) / q.speed
    hold_end = rng.uniform(0.62, 0.8)
    env = _bump(q.u, a0, a0 + rise, hold_end, min(hold_end + rise, 0.98))
    p.blend(f"ua_elev_{s}", 1.5 * min(q.amp, 1.05), env)
    p.blend(f"ua_azim_{s}", 0.9, env)
    p.blend(f"fa_elev_{s}", 2.4, env)
    p.blend(f"fa_azim_{s}", -1.45, env)
    p.blend(f"hand_flex_{s}", 0.25, env)
    p["trunk_pitch"] = p["trunk_pitch"] - 0.03 * env
    p["head_pitch"] = p["head_pitch"] - 0.05 * env
    return [p], None


def _anim_falling(rng, q: _Params):
    p = _Pose(q.n)
    p.support = "all"
    f0 = rng.uniform(0.2, 0.45)
    dur = rng.uniform(0.25, 0.35) / q.speed
    fall = _smooth(q.u, f0, min(f0 + dur, 0.97)) ** 1.5
    knees = _bump(q.u, f0 - 0.05, f0 + 0.4 * dur, f0 + dur, f0 + 1.4 * dur)
    angle = rng.uniform(1.25, 1.45)
    direction = rng.uniform(-1.2, 1.2)  # 0 forwards, +-pi/2 sideways
    p["tilt"] = angle * fall
    p["tilt_dir"] = np.full(q.n, direction)
    for s, _ in _SIDES:
        p[f"th_elev_{s}"] = p[f"th_elev_{s}"] + 0.8 * knees + 0.2 * fall
        p[f"sh_elev_{s}"] = p[f"sh_elev_{s}"] - 0.9 * knees
        catch = _smooth(q.u, f0, f0 + 0.6 * dur)
        p.blend(f"ua_elev_{s}", 1.4 + rng.uniform(-0.2, 0.2), catch)
        p.blend(f"ua_azim_{s}", 0.3, catch)
        p.blend(f"fa_elev_{s}", 1.5, catch)
    p["head_pitch"] = p["head_pitch"] - 0.3 * fall
    return [p], None


def _approach(q: _Params, rng, d0: float, d1: float, a: float, b: float) -> np.ndarray:
    """Distance each performer walks towards the other: ``(d0 - d1) / 2`` over [a, b]."""
    return (d0 - d1) / 2.0 * _smooth(q.u, a, b)


def _anim_punch(rng, q: _Params):
    pa, pb = _Pose(q.n), _Pose(q.n)
    d0 = rng.uniform(0.75, 1.0)
    s = "R" if rng.random() < 0.8 else "L"
    slap = rng.random() < 0.35
    n_hits = int(rng.integers(1, 4))
    guard = _bump(q.u, 0.05, 0.2, 0.85, 0.97)
    starts = np.sort(rng.uniform(0.25, 0.7, n_hits))
    for i in range(1, n_hits):
        starts[i] = max(starts[i], starts[i - 1] + 0.12)
    dur = rng.uniform(0.1, 0.16) / q.speed
    strike = np.zeros(q.n)
    for st in starts:
        strike = np.maximum(strike, _keys(q.u, [st, st + 0.4 * dur, st + dur], [0, 1, 0]))
    if slap:
        pa.blend(f"ua_elev_{s}", 1.3, guard)
        pa.blend(f"fa_elev_{s}", 1.7, guard)
        pa[f"ua_azim_{s}"] = _REST["ua_azim"] + guard * (1.2 - _REST["ua_azim"]) - 1.5 * strike
        pa[f"fa_azim_{s}"] = _REST["fa_azim"] + guard * (0.9 - _REST["fa_azim"]) - 1.6 * strike
    else:
        pa.blend(f"ua_elev_{s}", 0.55 + 0.95 * strike * q.amp, guard)
        pa.blend(f"ua_azim_{s}", 0.3 - 0.35 * strike, guard)
        pa.blend(f"fa_elev_{s}", 2.3 - 0.8 * strike, guard)
        pa.blend(f"fa_azim_{s}", -0.4 + 0.3 * strike, guard)
        o = "L" if s == "R" else "R"
        pa.blend(f"ua_elev_{o}", 0.5, guard)
        pa.blend(f"fa_elev_{o}", 2.4, guard)
        pa.blend(f"fa_azim_{o}", -0.4, guard)
    pa["trunk_twist"] = pa["trunk_twist"] + (0.25 if s == "R" else -0.25) * strike
    pa["trunk_pitch"] = pa["trunk_pitch"] + 0.15 * strike
    pa["root_fwd"] = pa["root_fwd"] + 0.1 * _smooth(q.u, 0.15, 0.3)
    # The victim flinches after each hit and steps back a little.
    hit = np.zeros(q.n)
    for st in starts:
        hit = np.maximum(hit, _keys(q.u, [st + 0.4 * dur, st + 0.8 * dur, st + 2.5 * dur], [0, 1, 0]))
    pb["trunk_pitch"] = pb["trunk_pitch"] - 0.25 * hit
    pb["head_pitch"] = pb["head_pitch"] - 0.35 * hit
    pb["trunk_twist"] = pb["trunk_twist"] + 0.2 * hit
    pb["root_fwd"] = pb["root_fwd"] - 0.15 * _smooth(q.u, starts[0], min(starts[0] + 0.15, 1.0))
    for side, _ in _SIDES:
        pb.blend(f"ua_elev_{side}", 0.6, hit)
        pb.blend(f"fa_elev_{side}", 2.3, hit)
    return [pa, pb], d0


def _anim_hug(rng, q: _Params):
    pa, pb = _Pose(q.n), _Pose(q.n)
    d0 = rng.uniform(1.1, 1.7)
    d1 = rng.uniform(0.3, 0.4)
    a = rng.uniform(0.05, 0.15)
    b = a + rng.uniform(0.2, 0.3) / q.speed
    e = rng.uniform(0.72, 0.85)
    walk = _approach(q, rng, d0, d1, a, b) - (d0 - d1) / 2 * 0.25 * _smooth(q.u, e, min(e + 0.12, 1))
    hold = _bump(q.u, b - 0.1, b + 0.05, e - 0.05, min(e + 0.08, 1))
    for k, p in enumerate((pa, pb)):
        p["root_fwd"] = walk
        _gait(p, walk, 0.32, 0.35)
        high = 0.25 if k == 0 else -0.15  # one hugs over the shoulders, one under
        for s, _ in _SIDES:
            p.blend(f"ua_elev_{s}", 1.25 + high, hold)
            p.blend(f"ua_azim_{s}", 0.5, hold)
            p.blend(f"fa_elev_{s}", 1.55, hold)
            p.blend(f"fa_azim_{s}", -1.35, hold)
        p["trunk_pitch"] = p["trunk_pitch"] + 0.15 * hold
        p["head_yaw"] = p["head_yaw"] + 0.5 * hold
    return [pa, pb], d0


def _anim_handshake(rng, q: _Params):
    pa, pb = _Pose(q.n), _Pose(q.n)
    d0 = rng.uniform(1.1, 1.6)
    d1 = rng.uniform(0.62, 0.78)
    a = rng.uniform(0.05, 0.15)
    b = a + rng.uniform(0.2, 0.3) / q.speed
    e = rng.uniform(0.7, 0.85)
    walk = _approach(q, rng, d0, d1, a, b)
    reach = _bump(q.u, b - 0.12, b + 0.03, e, min(e + 0.1, 1.0))
    shake = 0.15 * q.amp * np.sin(2 * np.pi * 2.5 * q.speed * q.tau) * _bump(q.u, b, b + 0.05, e - 0.05, e)
    for p in (pa, pb):
        p["root_fwd"] = walk
        _gait(p, walk, 0.32, 0.33)
        p.blend("ua_elev_R", 0.7, reach)
        p.blend("ua_azim_R", -0.1, reach)
        p.blend("fa_elev_R", 1.45 + shake, reach)
        p.blend("fa_azim_R", -0.45, reach)
        p.blend("hand_flex_R", 0.0, reach)
        p["trunk_pitch"] = p["trunk_pitch"] + 0.08 * reach
    return [pa, pb], d0


def _anim_walk_towards(rng, q: _Params):
    pa, pb = _Pose(q.n), _Pose(q.n)
    d0 = rng.uniform(2.4, 3.2)
    d1 = rng.uniform(0.8, 1.2)
    a = rng.uniform(0.02, 0.12)
    b = rng.uniform(0.85, 0.97)
    total = (d0 - d1) / 2
    for p in (pa, pb):
        # nearly constant walking speed with a gentle start and stop
        x = np.clip((q.u - a) / (b - a), 0.0, 1.0)
        walk = total * (x - np.sin(2 * np.pi * x) / (2 * np.pi))
        p["root_fwd"] = walk
        _gait(p, walk, rng.uniform(0.3, 0.38), 0.4 * q.amp)
    return [pa, pb], d0


_ANIMATORS = {
    8: lambda rng, q: _anim_sit(rng, q, reverse=False),
    9: lambda rng, q: _anim_sit(rng, q, reverse=True),
    10: _anim_clapping,
    23: _anim_waving,
    24: _anim_kick,
    26: _anim_hopping,
    27: _anim_jump,
    35: _anim_nod_bow,
    38: _anim_salute,
    43: _anim_falling,
    50: _anim_punch,
    55: _anim_hug,
    58: _anim_handshake,
    59: _anim_walk_towards,
}


# --------------------------------------------------------------------------- samples


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


# Probability per frame-run that a joint is only inferred (tracking state 1).
_P_INFERRED = np.zeros(NUM_JOINTS)
for _name, _p in (
    ("HandLeft", 0.12), ("HandRight", 0.12), ("HandTipLeft", 0.12), ("HandTipRight", 0.12),
    ("ThumbLeft", 0.12), ("ThumbRight", 0.12), ("WristLeft", 0.05), ("WristRight", 0.05),
    ("ElbowLeft", 0.03), ("ElbowRight", 0.03), ("AnkleLeft", 0.04), ("AnkleRight", 0.04),
    ("FootLeft", 0.05), ("FootRight", 0.05), ("KneeLeft", 0.01), ("KneeRight", 0.01),
):  # fmt: skip
    _P_INFERRED[_J[_name]] = _p
_JITTER = np.full(NUM_JOINTS, 0.004)
_JITTER[[_J[k] for k in ("HandTipLeft", "HandTipRight", "ThumbLeft", "ThumbRight")]] = 0.012
_JITTER[[_J[k] for k in ("HandLeft", "HandRight", "FootLeft", "FootRight")]] = 0.007

# (handLeftConfidence, handLeftState, handRightConfidence, handRightState) combinations
# and how often they occur, after the genuine files.
_HAND_COMBOS = np.array(
    [[0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 3], [1, 1, 1, 3],
     [1, 2, 1, 2], [1, 3, 1, 3], [0, 0, 1, 2], [1, 4, 1, 4]]
)  # fmt: skip
_HAND_WEIGHTS = np.array([0.3, 0.25, 0.15, 0.05, 0.05, 0.05, 0.05, 0.05, 0.03, 0.02])


def _runs(rng: np.random.Generator, n: int, p: np.ndarray, length: int) -> np.ndarray:
    """Boolean ``(n, len(p))``: runs of ``length`` frames covering about ``p`` of frames."""
    starts = rng.random((n, len(p))) < p / length
    c = np.cumsum(starts, axis=0)
    prev = np.zeros_like(c)
    prev[length:] = c[:-length]
    return (c - prev) > 0


def _observe(rng: np.random.Generator, xyz: np.ndarray, noisy: bool = False) -> dict:
    """Sensor effects on clean joints: jitter, inferred joints, hand states, lean."""
    n = len(xyz)
    inferred = _runs(rng, n, _P_INFERRED * (3.0 if noisy else 1.0), int(rng.integers(3, 12)))
    jitter = rng.normal(size=xyz.shape) * _JITTER[None, :, None] * (2.5 if noisy else 1.0)
    drift = rng.normal(scale=0.02, size=(1, NUM_JOINTS, 3))
    obs = xyz + jitter + inferred[..., None] * drift
    state = np.where(inferred, 1, 2)
    # hand states: piecewise constant segments
    seg = max(1, int(rng.integers(8, 40)))
    n_seg = n // seg + 1
    combo = rng.choice(len(_HAND_COMBOS), size=n_seg, p=_HAND_WEIGHTS / _HAND_WEIGHTS.sum())
    hand = _HAND_COMBOS[np.repeat(combo, seg)[:n]]
    lean = _lean_from_spine(obs) + rng.normal(scale=0.08, size=(1, 2)) + rng.normal(scale=0.004, size=(n, 2))
    return {"xyz": obs, "joint_state": state, "hand": hand, "lean": np.clip(lean, -1.0, 1.0)}


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


# --------------------------------------------------------------------------- dataset


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
