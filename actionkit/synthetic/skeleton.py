"""Skeleton geometry of the synthetic NTU generator: pose parameters to Kinect v2 joints.

A performer's pose is a :class:`_Pose` (per-frame limb, trunk and head angles) and a
:class:`_Dims` (segment lengths); :func:`_skeleton` turns them into ``(T, 25, 3)`` joint
positions in the performer's own frame (x right, y up, -z front, floor at ``y = 0``).
:func:`bone_orientations` and :func:`_lean_from_spine` derive the Kinect joint
orientations and body lean from joint positions, as the ``.skeleton`` writer needs them.
Joints are the 25 NTU RGB+D / Kinect v2 joints of :data:`actionkit.layouts.NTU25`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actionkit.layouts import NTU25

NUM_JOINTS = 25

JOINT_NAMES: tuple[str, ...] = NTU25.joint_names
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
