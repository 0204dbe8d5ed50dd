"""Degree-weighted joint masks (ASMa, eq. 1-2), drawn without replacement.

ASMa masks ``n`` joints per sample, drawn with probabilities set by the joints' degrees
``d_v`` in the skeleton graph (:attr:`actionkit.layouts.Layout.degrees`):

- high-degree spatial masking (HDSM, eq. 1): ``p_v = d_v / sum_u d_u``;
- low-degree spatial masking (LDSM, eq. 2): ``p_v`` proportional to ``1 - d_v / sum_u d_u``,
  renormalised to sum to 1.

The ``n`` joints are distinct: they are drawn one after another, each from the joints
not yet drawn with probabilities proportional to ``p`` (successive sampling, as
``numpy.random.Generator.choice(V, n, replace=False, p=p)``), so the first draw follows
``p`` exactly. (PSTL, ASMa's base code, draws one mask per batch and samples with repeats;
here every sample of a batch gets its own mask.)

Random numbers come from a counter-based SplitMix64 stream per sample: sample ``b`` of a
batch drawn with seed ``s`` uses a stream keyed by ``(s, b)``. The masks are therefore a
pure function of ``(probabilities, n, batch, seed)``: reproducible, independent of the
process (forked data-loader workers included) and of numba's global random state.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit

__all__ = ["degree_probabilities", "sample_joint_masks", "degree_masks", "resolve_seed"]

Mode = Literal["high", "low"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SAMPLE_KEY = np.uint64(0xD1B54A32D192ED03)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True)
def _mix64(z):
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True)
def _sample_kernel(p, n, seed, out):
    # p: [V] float64 non-negative weights; out: [B, V] bool, pre-zeroed.
    #
    # Each draw picks joint v with probability w_v / sum(w) over the joints not drawn
    # yet. While the remaining weight is at least half the total, a draw is made from
    # the fixed CDF of p (a branch-free count) and redrawn if it hits a drawn joint
    # (rejection leaves the conditional distribution exactly w_v / sum(w)); below that
    # it scans the remaining weights (inverse CDF), so the number of redraws stays small.
    nv = p.shape[0]
    cdf = np.empty(nv, dtype=np.float64)
    full = 0.0
    for v in range(nv):
        full += p[v]
        cdf[v] = full
    w = np.empty(nv, dtype=np.float64)
    for b in range(out.shape[0]):
        state = _mix64(seed ^ _mix64(np.uint64(b) * _SAMPLE_KEY + _GOLDEN))
        for v in range(nv):
            w[v] = p[v]
        remaining = full
        for _ in range(n):
            pick = -1
            while remaining >= 0.5 * full:
                state = state + _GOLDEN
                u = np.float64(_mix64(state) >> _S11) * _TO_UNIT * full
                # first v with cdf[v] > u = how many cdf entries are <= u (branch-free)
                lo = 0
                for v in range(nv):
                    lo += cdf[v] <= u
                lo = min(lo, nv - 1)
                if w[lo] > 0.0:
                    pick = lo
                    break
            if pick < 0:
                state = state + _GOLDEN
                u = np.float64(_mix64(state) >> _S11) * _TO_UNIT * remaining
                acc = 0.0
                for v in range(nv):  # drawn joints have weight 0 and never stop the scan
                    acc += w[v]
                    if u < acc:
                        pick = v
                        break
                if pick < 0:  # u rounded up to the total: take the last available joint
                    for v in range(nv - 1, -1, -1):
                        if w[v] > 0.0:
                            pick = v
                            break
            out[b, pick] = True
            remaining -= w[pick]
            w[pick] = 0.0


def degree_probabilities(degrees: np.ndarray, mode: Mode = "high") -> np.ndarray:
    """ASMa's joint masking probabilities.

    Args:
        degrees: ``[V]`` joint degrees (non-negative, not all zero).
        mode: ``"high"`` for eq. 1 (``p = d / sum d``), ``"low"`` for eq. 2 (``1 - p``
            renormalised).

    Returns:
        float64 ``[V]`` probabilities summing to 1.

    Raises:
        ValueError: On an unknown mode, negative degrees, or all-zero degrees.
    """
    d = np.asarray(degrees, dtype=np.float64).reshape(-1)
    if (d < 0).any() or d.sum() <= 0:
        raise ValueError("degrees must be non-negative and not all zero")
    high = d / d.sum()
    if mode == "high":
        return high
    if mode == "low":
        if d.size < 2:
            raise ValueError("low-degree masking needs at least two joints")
        low = 1.0 - high
        return low / low.sum()
    raise ValueError(f"unknown masking mode {mode!r}; valid modes: 'high', 'low'")


def resolve_seed(seed: int | np.integer | np.random.Generator) -> np.uint64:
    """Turns a seed argument into the kernel's uint64 seed.

    Args:
        seed: A non-negative integer below ``2**64``, or a numpy Generator, from which
            one raw 64-bit output of its bit generator is drawn (advancing it).

    Raises:
        ValueError: If an integer seed is outside ``[0, 2**64)``.
        TypeError: If ``seed`` is neither an integer nor a Generator.
    """
    if isinstance(seed, np.random.Generator):
        return np.uint64(seed.bit_generator.random_raw())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        value = int(seed)
        if not 0 <= value < 2**64:
            raise ValueError(f"seed must be in [0, 2**64), got {value}")
        return np.uint64(value)
    raise TypeError(f"seed must be an int or a numpy Generator, got {type(seed).__name__}")


def sample_joint_masks(
    probabilities: np.ndarray,
    n: int,
    batch: int,
    seed: int | np.integer | np.random.Generator,
) -> np.ndarray:
    """Draws ``batch`` independent masks of ``n`` distinct joints each.

    Args:
        probabilities: ``[V]`` non-negative joint weights (normalised or not).
        n: Joints per mask, at most the number of joints with positive weight.
        batch: Number of masks B.
        seed: Integer seed in ``[0, 2**64)`` or a numpy Generator (one draw from it).

    Returns:
        bool ``[B, V]``, True on the joints to mask; every row has exactly ``n`` True.

    Raises:
        ValueError: On negative or non-finite weights, ``n`` too large, or negative sizes.
    """
    p = np.ascontiguousarray(probabilities, dtype=np.float64).reshape(-1)
    if not ((p >= 0).all() and np.isfinite(p.sum())):
        raise ValueError("probabilities must be finite and non-negative")
    n, batch = int(n), int(batch)
    if n < 0 or batch < 0:
        raise ValueError("n and batch must be non-negative")
    available = int(np.count_nonzero(p))
    if n > available:
        raise ValueError(f"cannot draw {n} distinct joints: only {available} have weight > 0")
    out = np.zeros((batch, p.shape[0]), dtype=np.bool_)
    _sample_kernel(p, n, resolve_seed(seed), out)
    return out


def degree_masks(
    degrees: np.ndarray,
    n: int,
    batch: int,
    seed: int | np.integer | np.random.Generator,
    mode: Mode = "high",
) -> np.ndarray:
    """HDSM / LDSM masks: :func:`degree_probabilities` then :func:`sample_joint_masks`.

    Args:
        degrees: ``[V]`` joint degrees, e.g. ``layout.degrees``.
        n: Joints masked per sample (ASMa: 9).
        batch: Number of samples B.
        seed: Integer seed or numpy Generator.
        mode: ``"high"`` (eq. 1) or ``"low"`` (eq. 2).

    Returns:
        bool ``[B, V]``, True on masked joints.
    """
    return sample_joint_masks(degree_probabilities(degrees, mode), n, batch, seed)
