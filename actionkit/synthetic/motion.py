"""Motion primitives for the synthetic action programs: easing curves, keyframes, sway, gait.

The per-class programs in :mod:`actionkit.synthetic.actions` build their pose curves from
these: :func:`_smooth`, :func:`_bump` and :func:`_keys` shape a parameter over time,
:func:`_idle` adds the natural sway every performer has, :func:`_gait` animates walking
for a travelled distance, and :class:`_Params` carries one sample's timing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from actionkit.synthetic.skeleton import _SIDES, _Pose

FPS = 30.0


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


def _approach(q: _Params, rng, d0: float, d1: float, a: float, b: float) -> np.ndarray:
    """Distance each performer walks towards the other: ``(d0 - d1) / 2`` over [a, b]."""
    return (d0 - d1) / 2.0 * _smooth(q.u, a, b)
