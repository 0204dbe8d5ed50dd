"""Named load-time normalisations of one skeleton sample.

Stores keep raw camera coordinates; a normalisation is applied when a sample is loaded
and is recorded by name (plus parameters) in a run's configuration. Every function here
takes one sample ``[T, M, V, 3]`` (frames, bodies, joints, xyz), never modifies it, and
returns a new float32 array ``[T', M, V, 3]``; ``T'`` differs from ``T`` where the
reference pipeline changes the frame count (``agcn`` with ``pad_to``, ``pyskl``, which
drops frames without body 0, ``aimclr``, which resizes to 50 frames).

Each one re-implements the preprocessing of a reference code base:

- ``agcn``: 2s-AGCN ``data_gen/preprocess.py::pre_normalization`` (also run by CMD's
  ``data_gen/ntu_gendata.py``, hence I2MD/CMD and ISC);
- ``aimclr``: CrosSCLR / AimCLR ``feeder/preprocess_ntu.py`` (``NTUMotionProcessor`` with
  ``data_type='relative'``, ``sampling='resize'``, ``y_rotation=True``); the two repositories
  share this code, and it is *not* 2s-AGCN's ``pre_normalization``;
- ``pyskl``: PYSKL ``PreNormalize3D``;
- ``ctrgcn``: CTR-GCN ``data/ntu/seq_transformation.py::seq_translation``;
- ``ctrgcn_ucla``: the centring and min-max scaling of CTR-GCN's NW-UCLA feeder.

A body (or joint) is "absent" in a frame when all its coordinates are exactly zero. The
references test ``sum == 0`` instead, which differs only when non-zero coordinates cancel
exactly. Joint indices default to the NTU / Kinect v2 ones (``actionkit.layouts.NTU25``);
they are parameters, and the Kinect v1 layout (NW-UCLA) shares the NTU indices used here
except ``aimclr``'s centre joint (use 2, ShoulderCenter).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np

from actionkit.kernels.resample import resize

__all__ = [
    "NORMALIZATIONS",
    "get_normalization",
    "identity",
    "agcn",
    "aimclr",
    "pyskl",
    "ctrgcn",
    "ctrgcn_ucla",
    "alignment_rotation",
]

Normalization = Callable[..., np.ndarray]


def _as_sample(joint: np.ndarray) -> np.ndarray:
    x = np.array(joint, dtype=np.float32, copy=True, order="C")
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"a sample must be [T, M, V, 3], got shape {x.shape}")
    return x


def _check_joints(num_joints: int, **indices: int) -> None:
    for name, value in indices.items():
        if not 0 <= value < num_joints:
            raise ValueError(f"{name}={value} is not a joint of a {num_joints}-joint layout")


def _angle_between(v1: np.ndarray, v2: np.ndarray) -> float:
    """Angle in radians; 0 when either vector is (nearly) zero, as in 2s-AGCN."""
    if np.abs(v1).sum() < 1e-6 or np.abs(v2).sum() < 1e-6:
        return 0.0
    u1 = v1 / np.linalg.norm(v1)
    u2 = v2 / np.linalg.norm(v2)
    return float(np.arccos(np.clip(np.dot(u1, u2), -1.0, 1.0)))


def alignment_rotation(vector: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2s-AGCN rotation that turns ``vector`` onto the direction of ``target``.

    A right-handed rotation by ``angle(vector, target)`` about ``vector x target``
    (Rodrigues' formula). As in the reference, it is the identity when the axis or the
    angle is below 1e-6 (so an antiparallel vector is left as it is).

    Args:
        vector: ``[3]`` vector to align.
        target: ``[3]`` target direction.

    Returns:
        float64 ``[3, 3]`` rotation matrix R; apply as ``R @ p``.
    """
    v = np.asarray(vector, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    axis = np.cross(v, t)
    angle = _angle_between(v, t)
    if np.abs(axis).sum() < 1e-6 or abs(angle) < 1e-6:
        return np.eye(3)
    k = axis / np.linalg.norm(axis)
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * cross + (1.0 - np.cos(angle)) * (cross @ cross)


def _rotate(x: np.ndarray, rot: np.ndarray) -> np.ndarray:
    return np.einsum("ij,tmvj->tmvi", rot, x.astype(np.float64)).astype(np.float32)


def identity(joint: np.ndarray) -> np.ndarray:
    """``"none"``: raw camera coordinates, as a float32 copy."""
    return _as_sample(joint)


def agcn(
    joint: np.ndarray,
    *,
    pad_to: int | None = None,
    center_joint: int = 1,
    zaxis: tuple[int, int] = (0, 1),
    xaxis: tuple[int, int] = (8, 4),
) -> np.ndarray:
    """2s-AGCN ``pre_normalization`` of one sample.

    Steps, in the reference's order:

    1. Per body with any frame: if its first frame is empty, its non-empty frames are
       moved to the front; then the frames after its last non-empty frame are filled by
       looping frames ``0 .. last`` (frame ``t`` takes frame ``t mod (last + 1)``).
    2. Per frame, body 0's ``center_joint`` (SpineMid) is subtracted from every body;
       absent joints stay 0.
    3. Rotation making the bone ``zaxis[0] -> zaxis[1]`` (SpineBase -> SpineMid) of body 0
       in frame 0 parallel to +z, applied to all points.
    4. Rotation making ``xaxis[1] -> xaxis[0]`` (left -> right shoulder), measured after
       step 3, parallel to +x.

    The reference runs on arrays zero-padded to 300 frames, so step 1 loops every body
    up to frame 300. ``pad_to=300`` reproduces that (CMD then crops within the real frame
    count, AimCLR-style feeders see 300 looped frames); ``pad_to=None`` keeps the real
    frames only, where step 1 still loops a body that leaves before the last frame.

    Args:
        joint: ``[T, M, V, 3]`` raw coordinates.
        pad_to: Zero-pad to this many frames before step 1 (``>= T``), or None.
        center_joint: Joint of body 0 subtracted in step 2.
        zaxis: ``(bottom, top)`` joints aligned with +z.
        xaxis: ``(right, left)`` joints; ``left -> right`` aligned with +x.

    Returns:
        float32 ``[T or pad_to, M, V, 3]``.
    """
    s = _as_sample(joint)
    t_len, num_bodies, num_joints, _ = s.shape
    _check_joints(num_joints, center_joint=center_joint, z0=zaxis[0], z1=zaxis[1],
                  x0=xaxis[0], x1=xaxis[1])
    if pad_to is not None:
        if pad_to < t_len:
            raise ValueError(f"pad_to={pad_to} is shorter than the sample ({t_len} frames)")
        s = np.concatenate([s, np.zeros((pad_to - t_len,) + s.shape[1:], np.float32)])
        t_len = pad_to
    if not s.any():
        return s
    present = s.any(axis=(2, 3))
    for m in range(num_bodies):
        frames = np.flatnonzero(present[:, m])
        if frames.size == 0:
            continue
        if frames[0] != 0:
            kept = s[frames, m].copy()
            s[:, m] = 0.0
            s[: frames.size, m] = kept
            frames = np.arange(frames.size)
        n = int(frames[-1]) + 1
        if n < t_len:
            s[n:, m] = s[np.arange(n, t_len) % n, m]
    center = s[:, 0, center_joint, :].copy()
    mask = s.any(axis=-1, keepdims=True)
    s = (s - center[:, None, None, :]) * mask
    rot_z = alignment_rotation(s[0, 0, zaxis[1]] - s[0, 0, zaxis[0]], [0.0, 0.0, 1.0])
    s = _rotate(s, rot_z)
    rot_x = alignment_rotation(s[0, 0, xaxis[0]] - s[0, 0, xaxis[1]], [1.0, 0.0, 0.0])
    return _rotate(s, rot_x)


def aimclr(
    joint: np.ndarray,
    *,
    center_joint: int = 20,
    xaxis: tuple[int, int] = (8, 4),
    t_length: int | None = 50,
) -> np.ndarray:
    """CrosSCLR / AimCLR preprocessing (``feeder/preprocess_ntu.py``) of one sample.

    1. ``relative``: every body's own ``center_joint`` (SpineShoulder) is subtracted,
       per frame (not body 0's, and without masking: an absent frame stays 0 because its
       centre is 0 too).
    2. ``resize``: the first ``length`` frames, where ``length`` counts the frames whose
       body-0 joint 0 is non-zero in the raw input, are resized to ``t_length`` frames by
       linear interpolation (OpenCV ``INTER_LINEAR``: half-pixel centres, the sampling of
       :func:`actionkit.kernels.resample.resize`). Skipped when ``t_length`` is None.
    3. ``y_rotation``: per body and frame, a rotation about y by the angle between the
       shoulder vector ``right - left`` (y zeroed) and +x. Reference quirk kept: the
       rotation's sign is chosen once per body from the sign of the sum over frames of
       the vector's z component, so a frame whose z has the other sign is turned the
       wrong way.

    Args:
        joint: ``[T, M, V, 3]`` raw coordinates.
        center_joint: Joint subtracted per body (NTU SpineShoulder, 20).
        xaxis: ``(right, left)`` shoulder joints.
        t_length: Output frame count (the reference: 50), or None to keep the frames.

    Returns:
        float32 ``[t_length or T, M, V, 3]``; all zeros if body 0's joint 0 never appears.
    """
    raw = _as_sample(joint)
    num_joints = raw.shape[2]
    _check_joints(num_joints, center_joint=center_joint, x0=xaxis[0], x1=xaxis[1])
    x = raw - raw[:, :, center_joint : center_joint + 1, :]
    if t_length is not None:
        length = int(np.count_nonzero(np.abs(raw[:, 0, 0, :]).sum(axis=-1)))
        if length == 0:
            return np.zeros((int(t_length),) + raw.shape[1:], dtype=np.float32)
        x = resize(x[:length], t_length)
    vec = (x[:, :, xaxis[0], :] - x[:, :, xaxis[1], :]).astype(np.float64)
    vec[..., 1] = 0.0
    norm = np.sqrt((vec**2).sum(axis=-1))
    theta = np.arccos(np.clip(vec[..., 0] / (norm + 1e-4), -1.0, 1.0))
    flip = vec[..., 2].sum(axis=0) >= 0
    theta = np.where(flip[None, :], -theta, theta)
    cos, sin = np.cos(theta), np.sin(theta)
    x64 = x.astype(np.float64)
    out = np.empty_like(x64)
    out[..., 0] = cos[..., None] * x64[..., 0] - sin[..., None] * x64[..., 2]
    out[..., 1] = x64[..., 1]
    out[..., 2] = sin[..., None] * x64[..., 0] + cos[..., None] * x64[..., 2]
    return out.astype(np.float32)


def pyskl(
    joint: np.ndarray,
    *,
    center_joint: int | None = None,
    zaxis: tuple[int, int] = (0, 1),
    xaxis: tuple[int, int] = (8, 4),
    align_center: bool = True,
    align_spine: bool = True,
) -> np.ndarray:
    """PYSKL ``PreNormalize3D`` of one sample.

    1. Frames where body 0 is all (close to) zero (``np.isclose(., 0)``) are dropped. With
       two or more bodies, if body 1 is present in more frames than body 0, body 1's
       frames are kept instead and bodies 0 and 1 swap places.
    2. ``align_center``: one point, ``center_joint`` of body 0 in the first kept frame,
       is subtracted from every frame (not per frame); absent joints stay 0.
    3. ``align_spine``: the 2s-AGCN rotations from the first kept frame of body 0:
       ``zaxis[0] -> zaxis[1]`` onto +z, then ``xaxis[1] -> xaxis[0]`` onto +x.

    Args:
        joint: ``[T, M, V, 3]`` raw coordinates.
        center_joint: Centre joint; None is the reference's rule: 1 for 25 joints, else
            the last joint.
        zaxis: ``(bottom, top)`` joints aligned with +z.
        xaxis: ``(right, left)`` joints; ``left -> right`` aligned with +x.
        align_center: Do step 2.
        align_spine: Do step 3.

    Returns:
        float32 ``[T', M, V, 3]``, ``T'`` the kept frames. An all-zero sample (or one with
        no kept frame) is returned unchanged.
    """
    x = _as_sample(joint)
    num_bodies, num_joints = x.shape[1], x.shape[2]
    if center_joint is None:
        center_joint = 1 if num_joints == 25 else num_joints - 1
    _check_joints(num_joints, center_joint=center_joint, z0=zaxis[0], z1=zaxis[1],
                  x0=xaxis[0], x1=xaxis[1])
    if not x.any():
        return x
    near_zero = np.isclose(x, 0).all(axis=(2, 3))
    keep = ~near_zero[:, 0]
    if num_bodies >= 2:
        keep1 = ~near_zero[:, 1]
        if keep.sum() < keep1.sum():
            order = np.arange(num_bodies)
            order[[0, 1]] = [1, 0]
            x = x[:, order]
            keep = keep1
    if not keep.any():
        return x
    x = x[keep]
    if align_center:
        center = x[0, 0, center_joint].copy()
        x = (x - center) * x.astype(bool).any(axis=-1, keepdims=True)
    if align_spine:
        rot_z = alignment_rotation(x[0, 0, zaxis[1]] - x[0, 0, zaxis[0]], [0.0, 0.0, 1.0])
        x64 = np.einsum("ij,tmvj->tmvi", rot_z, x.astype(np.float64))
        rot_x = alignment_rotation(x64[0, 0, xaxis[0]] - x64[0, 0, xaxis[1]], [1.0, 0.0, 0.0])
        x = np.einsum("ij,tmvj->tmvi", rot_x, x64).astype(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


def ctrgcn(joint: np.ndarray, *, center_joint: int = 1) -> np.ndarray:
    """CTR-GCN ``seq_translation`` of one sample.

    One origin, ``center_joint`` (SpineMid) of body 0 in body 0's first non-empty frame,
    is subtracted from every body in every frame; afterwards a body's frames that were
    empty are set back to 0 (individual zero joints of a present body are shifted).

    Args:
        joint: ``[T, M, V, 3]`` raw coordinates.
        center_joint: Origin joint of body 0.

    Returns:
        float32 ``[T, M, V, 3]``; unchanged if body 0 is empty in every frame (the
        reference fails there).
    """
    x = _as_sample(joint)
    _check_joints(x.shape[2], center_joint=center_joint)
    present = x.any(axis=(2, 3))
    first = np.flatnonzero(present[:, 0])
    if first.size == 0:
        return x
    x -= x[first[0], 0, center_joint].copy()
    x[~present] = 0.0
    return x


def ctrgcn_ucla(joint: np.ndarray, *, center_joint: int = 1) -> np.ndarray:
    """CTR-GCN's NW-UCLA feeder normalisation (its test-time path) of one sample.

    ``center_joint`` (Spine) of body 0 in frame 0 is subtracted, then each coordinate
    axis is min-max scaled to ``[-1, 1]`` over all frames, bodies and joints (an axis with
    no spread becomes 0). The feeder's random view rotation and scaling (training) come
    before the scaling there; they are augmentations, not part of this normalisation.
    NW-UCLA is single-person (M = 1); with more bodies, absent ones' zeros count in the
    minimum and maximum.

    Args:
        joint: ``[T, M, V, 3]`` raw coordinates.
        center_joint: Centre joint (Kinect v1 Spine, 1).

    Returns:
        float32 ``[T, M, V, 3]``.
    """
    x = _as_sample(joint).astype(np.float64)
    _check_joints(x.shape[2], center_joint=center_joint)
    if x.size == 0:
        return x.astype(np.float32)
    x -= x[0, 0, center_joint].copy()
    flat = x.reshape(-1, 3)
    low, high = flat.min(axis=0), flat.max(axis=0)
    span = high - low
    scaled = np.where(span > 0, (x - low) / np.where(span > 0, span, 1.0) * 2.0 - 1.0, 0.0)
    return scaled.astype(np.float32)


NORMALIZATIONS: dict[str, Normalization] = {
    "none": identity,
    "agcn": agcn,
    "aimclr": aimclr,
    "pyskl": pyskl,
    "ctrgcn": ctrgcn,
    "ctrgcn_ucla": ctrgcn_ucla,
}


def get_normalization(name: str, **params: object) -> Normalization:
    """Returns the normalisation called ``name``, with ``params`` bound if given.

    Args:
        name: A key of :data:`NORMALIZATIONS`.
        **params: Keyword parameters of that normalisation (e.g. ``pad_to=300``).

    Returns:
        A callable ``f(joint) -> normalised joint``.

    Raises:
        KeyError: If ``name`` is unknown; the message lists the valid names.
        TypeError: If a parameter does not belong to that normalisation.
    """
    try:
        fn = NORMALIZATIONS[name]
    except KeyError:
        raise KeyError(
            f"unknown normalisation {name!r}; valid normalisations: "
            f"{', '.join(sorted(NORMALIZATIONS))}"
        ) from None
    if not params:
        return fn
    inspect.signature(fn).bind_partial(None, **params)
    return functools.partial(fn, **params)
