"""ASMa's masked streams of one clip: the anchor and each encoder's joint- and frame-masked views.

Anand et al., "ASMa: Asymmetric Spatio-temporal Masking for Skeleton Action
Representation Learning", section 3.2 and Algorithm 1. From one clip ``x`` the
transform makes, with the sample's own generator:

- the anchor ``x`` (resampled to the clip length; optionally augmented too);
- two augmented views ``x' = T(x)`` and ``x_hat = T(x)`` (Algorithm 1, line 6);
- per encoder ``k`` a joint-masked view ``x_j^k`` of ``x'`` (``n`` joints zeroed in every
  frame and body) and a frame-masked view ``x_m^k`` of ``x_hat`` (``k`` frames zeroed).

Joint masks: high-degree (HDSM, eq. 1) or low-degree (LDSM, eq. 2) sampling of ``n``
distinct joints (:func:`actionkit.kernels.masks.degree_masks`), or uniform ("random").
Frame masks: the top-k (HMTM) or bottom-k (LMTM) frames by the motion score of eq. 3-4
(:func:`actionkit.kernels.motion_scores.motion_scores`), or ``k`` uniform frames.

Pairings (``mode``):

- ``asymmetric`` (Algorithm 1 lines 7-8, the abstract, Table 9): f_theta gets
  (high-degree joints, low-motion frames), f_phi (low-degree joints, high-motion frames).
  Section 3.2's prose swaps the joint masks' superscripts; Algorithm 1 is followed here.
- ``symmetric`` (Table 9's "High/High" and "Low/Low" rows): f_theta gets (high-degree,
  high-motion), f_phi (low-degree, low-motion): the same joint masks, temporal ones swapped.
- ``random`` (Table 9's "Random/Random" row): both encoders get ``n`` uniformly drawn
  joints and ``k`` uniformly drawn frames, drawn independently per encoder.

Choices the paper leaves open, made here:

- Masked entries are set to zero (the zeros of absent joints and bodies in a store);
  the paper says only "masked".
- Algorithm 1 computes the motion scores ``a`` on ``x`` (line 4) and masks frames of
  ``x_hat`` (line 8); after a random temporal crop the two have different frames, so the
  scores are computed on ``x_hat`` itself, the view whose frames are masked.
- The views are: ``[anchor, x_j^theta, x_m^theta, x_j^phi, x_m^phi]`` (:data:`VIEWS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from actionkit.kernels.masks import degree_masks, sample_joint_masks
from actionkit.kernels.motion_scores import motion_scores, topk_frames
from actionkit.kernels.resample import crop_resize

__all__ = ["MASKINGS", "ENCODERS", "VIEWS", "MaskPair", "ASMaMasking", "pairing", "joint_mask", "frame_mask",
           "mask_joints", "mask_frames"]  # fmt: skip

#: The pairings of ``--set masking.mode=...``.
MASKINGS = ("asymmetric", "symmetric", "random")
#: The two encoders, in the order of their views.
ENCODERS = ("theta", "phi")
#: Names of the five views a :class:`ASMaMasking` returns, in order.
VIEWS = ("anchor", "theta_joint", "theta_frame", "phi_joint", "phi_frame")

_PAIRINGS: dict[str, dict[str, tuple[str, str]]] = {
    "asymmetric": {"theta": ("high", "low"), "phi": ("low", "high")},
    "symmetric": {"theta": ("high", "high"), "phi": ("low", "low")},
    "random": {"theta": ("random", "random"), "phi": ("random", "random")},
}


def pairing(mode: str) -> dict[str, tuple[str, str]]:
    """``{encoder: (joint kind, frame kind)}`` of a masking mode.

    Joint kinds are ``high`` (HDSM), ``low`` (LDSM) or ``random``; frame kinds ``high``
    (HMTM), ``low`` (LMTM) or ``random``.

    Raises:
        ValueError: On an unknown mode (the message lists the valid ones).
    """
    try:
        return dict(_PAIRINGS[mode])
    except KeyError:
        raise ValueError(f"unknown masking mode {mode!r}; valid: {', '.join(MASKINGS)}") from None


@dataclass(frozen=True)
class MaskPair:
    """One encoder's masks.

    Attributes:
        joints: bool ``[V]``, True on the masked joints of the spatial stream.
        frames: bool ``[T]``, True on the masked frames of the temporal stream.
    """

    joints: np.ndarray
    frames: np.ndarray


def joint_mask(degrees: np.ndarray, n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct joints drawn by degree (eq. 1-2) or uniformly.

    Args:
        degrees: ``[V]`` joint degrees of the layout.
        n: Joints to mask.
        kind: ``high`` (HDSM), ``low`` (LDSM) or ``random``.
        rng: The sample's generator (one raw 64-bit draw is taken from it).

    Returns:
        bool ``[V]`` with exactly ``n`` True.
    """
    if kind == "random":
        return sample_joint_masks(np.ones(len(degrees)), n, 1, rng)[0]
    if kind not in ("high", "low"):
        raise ValueError(f"unknown joint masking {kind!r}; valid: high, low, random")
    return degree_masks(degrees, n, 1, rng, mode=kind)[0]


def frame_mask(x: np.ndarray, k: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The ``k`` frames of highest (HMTM) or lowest (LMTM) motion score (eq. 3-4), or ``k`` uniform ones.

    Args:
        x: ``[T, M, V, C]`` the view whose frames are masked (scores are computed on it).
        k: Frames to mask, at most ``T``.
        kind: ``high``, ``low`` or ``random``.
        rng: The sample's generator (used by ``random`` only).

    Returns:
        bool ``[T]`` with exactly ``k`` True. Ties go to the earlier frame.
    """
    t = x.shape[0]
    if not 0 <= k <= t:
        raise ValueError(f"cannot mask {k} of {t} frames")
    if kind == "random":
        out = np.zeros(t, dtype=np.bool_)
        out[rng.choice(t, size=k, replace=False)] = True
        return out
    if kind not in ("high", "low"):
        raise ValueError(f"unknown frame masking {kind!r}; valid: high, low, random")
    return topk_frames(motion_scores(x), k, largest=kind == "high")


def mask_joints(x: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """A copy of ``x [T, M, V, C]`` with the joints marked in ``joints [V]`` zeroed in every frame and body."""
    out = np.array(x, dtype=np.float32, copy=True)
    out[:, :, np.asarray(joints, dtype=np.bool_), :] = 0.0
    return out


def mask_frames(x: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """A copy of ``x [T, M, V, C]`` with the frames marked in ``frames [T]`` zeroed."""
    out = np.array(x, dtype=np.float32, copy=True)
    out[np.asarray(frames, dtype=np.bool_)] = 0.0
    return out


class ASMaMasking:
    """ASMa's five streams of one clip: ``[T, M, V, C] -> list of 5 arrays [frames, M, V, C]``.

    The dataset turns the list into ``item["x"]`` = five ``[C, frames, V, M]`` tensors in
    the order of :data:`VIEWS`. Every draw comes from the sample's generator, in a fixed
    order (anchor, ``x'``, ``x_hat``, then f_theta's joint and frame masks, then f_phi's),
    so the views are a function of ``(dataset seed, epoch, sample)``.

    Args:
        degrees: ``[V]`` joint degrees (``layout.degrees``).
        frames: Frames of every stream (ASMa: 50).
        joints_masked: ``n``, joints masked per spatial stream (ASMa: 9).
        frames_masked: ``k``, frames masked per temporal stream (ASMa: 10).
        mode: ``asymmetric``, ``symmetric`` or ``random`` (see the module docstring).
        augment: ``T``: ``t(x, rng) -> [frames, M, V, C]``, applied independently to make
            ``x'`` and ``x_hat``. None: the clip linearly resampled to ``frames``.
        augment_anchor: Make the anchor ``T(x)`` too, instead of the resampled clip.
        removal: PSTL's masking by removal: the masked frames are deleted from ``x_m``
            (``frames - k`` frames), and ``x_j`` is ``x'`` unmasked: the encoder removes the
            joints from its graph (the ASMa trainer draws them, one set per batch, as PSTL).

    Raises:
        ValueError: On an unknown mode, or ``n`` / ``k`` outside the skeleton / clip.
    """

    def __init__(self, degrees: np.ndarray, frames: int = 50, joints_masked: int = 9, frames_masked: int = 10,
                 mode: str = "asymmetric", augment: Callable | None = None, augment_anchor: bool = False,
                 removal: bool = False):  # fmt: skip
        self.degrees = np.asarray(degrees, dtype=np.int64).reshape(-1)
        self.frames, self.n, self.k = int(frames), int(joints_masked), int(frames_masked)
        self.pairs = pairing(mode)
        self.mode = mode
        if not 0 <= self.n <= len(self.degrees):
            raise ValueError(f"cannot mask {self.n} of {len(self.degrees)} joints")
        if self.frames < 1 or not 0 <= self.k <= self.frames:
            raise ValueError(f"cannot mask {self.k} of {self.frames} frames")
        self.augment, self.augment_anchor = augment, bool(augment_anchor)
        self.removal = bool(removal)

    def _resampled(self, x: np.ndarray) -> np.ndarray:
        return crop_resize(np.asarray(x, dtype=np.float32), 0, x.shape[0], self.frames)

    def _view(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = self._resampled(x) if self.augment is None else np.asarray(self.augment(x, rng), dtype=np.float32)
        if out.shape[0] != self.frames:
            raise ValueError(f"the augmentation made {out.shape[0]} frames, the masking expects {self.frames}")
        return out

    def draw_masks(self, x_hat: np.ndarray, rng: np.random.Generator) -> dict[str, MaskPair]:
        """Both encoders' masks, f_theta's first; frame scores come from ``x_hat [T, M, V, C]``."""
        masks = {}
        for enc in ENCODERS:
            joint_kind, frame_kind = self.pairs[enc]
            joints = joint_mask(self.degrees, self.n, joint_kind, rng)
            masks[enc] = MaskPair(joints, frame_mask(x_hat, self.k, frame_kind, rng))
        return masks

    def streams(self, x: np.ndarray, rng: np.random.Generator) -> tuple[list[np.ndarray], dict[str, MaskPair]]:
        """The five views (:data:`VIEWS` order) and the masks that made them."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 4:
            raise ValueError(f"a skeleton sample must be [T, M, V, C], got shape {x.shape}")
        if x.shape[2] != len(self.degrees):
            raise ValueError(f"the sample has {x.shape[2]} joints, the layout's degrees are for "
                             f"{len(self.degrees)} joints")
        anchor = self._view(x, rng) if self.augment_anchor else self._resampled(x)
        x_prime, x_hat = self._view(x, rng), self._view(x, rng)
        masks = self.draw_masks(x_hat, rng)
        views = [anchor]
        for enc in ENCODERS:
            if self.removal:
                views += [x_prime, np.ascontiguousarray(x_hat[~np.asarray(masks[enc].frames, dtype=np.bool_)])]
            else:
                views += [mask_joints(x_prime, masks[enc].joints), mask_frames(x_hat, masks[enc].frames)]
        return views, masks

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        return self.streams(x, rng)[0]

    def __repr__(self) -> str:
        return (f"ASMaMasking(mode={self.mode!r}, frames={self.frames}, joints_masked={self.n}, "
                f"frames_masked={self.k}, augment={self.augment!r}, augment_anchor={self.augment_anchor}, "
                f"removal={self.removal})")  # fmt: skip
