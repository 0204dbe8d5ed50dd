"""Kinect sensor artefacts on clean synthetic joints.

:func:`_observe` adds what genuine recordings show: joint jitter, runs of only-inferred
joints (tracking state 1) that drift, piecewise-constant hand states and a noisy lean.
"""

from __future__ import annotations

import numpy as np

from actionkit.synthetic.skeleton import _J, NUM_JOINTS, _lean_from_spine

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
