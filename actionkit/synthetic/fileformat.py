"""The genuine NTU RGB+D ``.skeleton`` file format: writing bodies as the Kinect SDK did.

A file is laid out as::

    <frame count>
    per frame:  <body count>
      per body: bodyID clipedEdges handLeftConfidence handLeftState
                handRightConfidence handRightState isResticted leanX leanY trackingState
                25
                25 lines: x y z depthX depthY colorX colorY
                          orientationW orientationX orientationY orientationZ trackingState

Numbers are formatted as the genuine files have them (:func:`format_number`: the Kinect
SDK's single-precision ``G7``, up to 7 significant digits, ``0`` for zero, ``7.257856E-05``
for magnitudes below 1e-4), lines end in CRLF, body ids are 17-digit integers (``2**56``
plus a tracking counter, e.g. ``72057594037931648``), depth/colour pixel coordinates come
from a pinhole :class:`Camera` fitted to genuine files (depth 512x424, colour 1920x1080),
and joint orientations default to bone-aligned quaternions (zero for the seven leaf
joints, as in the genuine files; see :func:`~actionkit.synthetic.skeleton.bone_orientations`).
:func:`format_tracks` writes whole-body :class:`BodyTrack` arrays (the fast path);
:func:`format_skeleton_file` writes per-frame :class:`Body` lists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from actionkit.synthetic.skeleton import NUM_JOINTS, _lean_from_spine, bone_orientations


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
