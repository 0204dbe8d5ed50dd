"""The animated action classes and their motion programs.

:data:`ACTIONS` maps the genuine 1-based NTU-60 action ids to :class:`Action` records;
:data:`_ANIMATORS` maps the same ids to the parametric motion program that animates the
class. Each program draws its variation from the sample's random generator, in a fixed
order, so a sample is a function of the generator's state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actionkit.synthetic.motion import _approach, _bump, _gait, _keys, _onset, _Params, _smooth
from actionkit.synthetic.skeleton import _REST, _SIDES, _Pose


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


# Each animator gets (rng, T, sample params) and returns the performers' poses plus,
# for mutual actions, their initial separation in metres.


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
