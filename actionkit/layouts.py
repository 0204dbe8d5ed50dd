"""Skeleton layouts: joint names, the skeleton tree, degrees and mirror pairs.

A :class:`Layout` describes one skeleton format as a tree rooted at its centre joint:
``parents[v]`` is the joint that bone ``v`` hangs from, so the bone stream is
``bone[..., v, :] = joint[..., v, :] - joint[..., parents[v], :]`` and the centre joint
is its own parent (its bone is zero). Everything else (bone pairs, the undirected
graph, joint degrees, the mirror permutation) is derived from ``parents``, so a new
layout costs one :meth:`Layout.from_bone_pairs` call and an entry in :data:`LAYOUTS`.

All indices are 0-based. The layouts' 1-based tables are kept as written in the
datasets' documentation and converted once by :meth:`Layout.from_bone_pairs`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """One skeleton layout.

    Attributes:
        name: Registry name, e.g. ``"ntu25"``.
        joint_names: The V joint names, in storage order.
        parents: ``parents[v]`` is the 0-based parent of joint ``v``; the centre joint is
            its own parent and every other joint reaches the centre by following parents.
        center: 0-based index of the centre (root) joint.
        flip_pairs: Left/right joint pairs ``(left, right)`` swapped when mirroring.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    center: int
    flip_pairs: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        num = len(self.joint_names)
        if len(self.parents) != num:
            raise ValueError(
                f"layout {self.name!r}: {num} joint names but {len(self.parents)} parents"
            )
        if not 0 <= self.center < num:
            raise ValueError(f"layout {self.name!r}: centre {self.center} is not a joint")
        for v, p in enumerate(self.parents):
            if not 0 <= p < num:
                raise ValueError(f"layout {self.name!r}: parent {p} of joint {v} is not a joint")
            if p == v and v != self.center:
                raise ValueError(
                    f"layout {self.name!r}: joint {v} is its own parent but is not the centre"
                )
        if self.parents[self.center] != self.center:
            raise ValueError(f"layout {self.name!r}: the centre joint must be its own parent")
        for v in range(num):
            seen = 0
            u = v
            while u != self.center:
                u = self.parents[u]
                seen += 1
                if seen > num:
                    raise ValueError(
                        f"layout {self.name!r}: joint {v} does not reach the centre (cycle)"
                    )
        used: set[int] = set()
        for left, right in self.flip_pairs:
            for j in (left, right):
                if not 0 <= j < num or j in used:
                    raise ValueError(f"layout {self.name!r}: bad or repeated flip joint {j}")
                used.add(j)

    @classmethod
    def from_bone_pairs(
        cls,
        name: str,
        joint_names: Iterable[str],
        bone_pairs: Iterable[tuple[int, int]],
        center: int,
        flip_pairs: Iterable[tuple[int, int]] = (),
        one_based: bool = False,
    ) -> Layout:
        """Builds a layout from ``(child, parent)`` bone pairs.

        Args:
            name: Registry name.
            joint_names: The V joint names.
            bone_pairs: ``(child, parent)`` pairs, one per non-centre joint; a
                ``(center, center)`` self pair may be included and is ignored.
            center: Index of the centre joint.
            flip_pairs: ``(left, right)`` mirror pairs.
            one_based: Whether the indices above are 1-based (as in dataset docs).

        Returns:
            The layout.

        Raises:
            ValueError: If a joint has no parent or two parents, or the tree is invalid.
        """
        names = tuple(joint_names)
        shift = 1 if one_based else 0
        root = center - shift
        parents: list[int | None] = [None] * len(names)
        parents[root] = root
        for child, parent in bone_pairs:
            c, p = child - shift, parent - shift
            if c == p == root:
                continue
            if not 0 <= c < len(names) or parents[c] is not None:
                raise ValueError(f"layout {name!r}: joint {child} has no slot or two parents")
            parents[c] = p
        missing = [v + shift for v, p in enumerate(parents) if p is None]
        if missing:
            raise ValueError(f"layout {name!r}: joints without a parent: {missing}")
        flips = tuple((a - shift, b - shift) for a, b in flip_pairs)
        tree = tuple(int(p) for p in parents if p is not None)
        return cls(name, names, tree, root, flips)

    @property
    def num_joints(self) -> int:
        """The number of joints V."""
        return len(self.joint_names)

    @property
    def bone_pairs(self) -> tuple[tuple[int, int], ...]:
        """The ``(child, parent)`` pairs, 0-based, without the centre's self loop."""
        return tuple((v, p) for v, p in enumerate(self.parents) if v != p)

    @property
    def parents_array(self) -> np.ndarray:
        """``parents`` as an int64 array of shape ``[V]``, for the bone kernels."""
        return np.asarray(self.parents, dtype=np.int64)

    @property
    def degrees(self) -> np.ndarray:
        """Degree of each joint in the undirected skeleton graph, int64 ``[V]``.

        The graph has one edge per bone pair and no self loop, so the centre joint's
        degree is its number of children and a leaf's degree is 1.
        """
        deg = np.zeros(self.num_joints, dtype=np.int64)
        for child, parent in self.bone_pairs:
            deg[child] += 1
            deg[parent] += 1
        return deg

    @property
    def flip_index(self) -> np.ndarray:
        """Permutation ``[V]`` that mirrors left and right: ``x[..., flip_index, :]``."""
        perm = np.arange(self.num_joints, dtype=np.int64)
        for left, right in self.flip_pairs:
            perm[left], perm[right] = right, left
        return perm

    def adjacency(self, self_loops: bool = False, dtype: type = np.float32) -> np.ndarray:
        """The symmetric 0/1 adjacency matrix of the skeleton graph.

        Args:
            self_loops: Whether to put ones on the diagonal.
            dtype: The matrix's dtype.

        Returns:
            Array ``[V, V]``; ``A[i, j] = 1`` when joints ``i`` and ``j`` share a bone.
        """
        a = np.zeros((self.num_joints, self.num_joints), dtype=dtype)
        for child, parent in self.bone_pairs:
            a[child, parent] = 1
            a[parent, child] = 1
        if self_loops:
            np.fill_diagonal(a, 1)
        return a


NTU25 = Layout.from_bone_pairs(
    name="ntu25",
    joint_names=(
        "SpineBase", "SpineMid", "Neck", "Head",
        "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
        "ShoulderRight", "ElbowRight", "WristRight", "HandRight",
        "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
        "HipRight", "KneeRight", "AnkleRight", "FootRight",
        "SpineShoulder", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight",
    ),
    # The ST-GCN family's (child, parent) pairs, 1-based (FORMATS.md).
    bone_pairs=(
        (1, 2), (2, 21), (3, 21), (4, 3), (5, 21), (6, 5), (7, 6), (8, 7), (9, 21),
        (10, 9), (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1),
        (18, 17), (19, 18), (20, 19), (21, 21), (22, 23), (23, 8), (24, 25), (25, 12),
    ),
    center=21,
    flip_pairs=(
        (5, 9), (6, 10), (7, 11), (8, 12), (13, 17), (14, 18), (15, 19), (16, 20),
        (22, 24), (23, 25),
    ),
    one_based=True,
)
"""Kinect v2 (NTU RGB+D, PKU-MMD), 25 joints, centre SpineShoulder (0-based 20)."""

KINECT_V1_20 = Layout.from_bone_pairs(
    name="kinect_v1_20",
    joint_names=(
        "HipCenter", "Spine", "ShoulderCenter", "Head",
        "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
        "ShoulderRight", "ElbowRight", "WristRight", "HandRight",
        "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
        "HipRight", "KneeRight", "AnkleRight", "FootRight",
    ),
    # CTR-GCN's NW-UCLA graph (graph/ucla.py inward pairs; its feeder adds (3, 3)), 1-based.
    bone_pairs=(
        (1, 2), (2, 3), (4, 3), (5, 3), (6, 5), (7, 6), (8, 7), (9, 3), (10, 9),
        (11, 10), (12, 11), (13, 1), (14, 13), (15, 14), (16, 15), (17, 1), (18, 17),
        (19, 18), (20, 19),
    ),
    center=3,
    flip_pairs=((5, 9), (6, 10), (7, 11), (8, 12), (13, 17), (14, 18), (15, 19), (16, 20)),
    one_based=True,
)
"""Kinect v1 (NW-UCLA), 20 joints, centre ShoulderCenter (0-based 2)."""

COCO17 = Layout.from_bone_pairs(
    name="coco17",
    joint_names=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    # PYSKL's COCO graph (pyskl/utils/graph.py, layout 'coco', inward pairs), 0-based.
    bone_pairs=(
        (15, 13), (13, 11), (16, 14), (14, 12), (11, 5), (12, 6), (9, 7), (7, 5), (10, 8), (8, 6),
        (5, 0), (6, 0), (1, 0), (3, 1), (2, 0), (4, 2),
    ),
    center=0,
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
)
"""COCO keypoints (HRNet and other 2D pose estimators), 17 joints, centre nose (0)."""

OPENPOSE18 = Layout.from_bone_pairs(
    name="openpose18",
    joint_names=(
        "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
        "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    ),
    # st-gcn's / PYSKL's OpenPose graph (layout 'openpose', inward pairs), 0-based.
    bone_pairs=(
        (4, 3), (3, 2), (7, 6), (6, 5), (13, 12), (12, 11), (10, 9), (9, 8), (11, 5), (8, 2), (5, 1),
        (2, 1), (0, 1), (15, 0), (14, 0), (17, 15), (16, 14),
    ),
    center=1,
    flip_pairs=((5, 2), (6, 3), (7, 4), (11, 8), (12, 9), (13, 10), (15, 14), (17, 16)),
)
"""OpenPose COCO-18 (st-gcn's Kinetics skeletons), 18 joints, centre neck (1)."""

LAYOUTS: dict[str, Layout] = {"ntu25": NTU25, "kinect_v1_20": KINECT_V1_20, "coco17": COCO17,
                              "openpose18": OPENPOSE18}


def get_layout(name: str) -> Layout:
    """Returns the registered layout called ``name`` (``-`` and ``_`` are interchangeable).

    Raises:
        KeyError: If no layout has that name; the message lists the valid names.
    """
    try:
        return LAYOUTS[name.replace("-", "_")]
    except KeyError:
        raise KeyError(
            f"unknown skeleton layout {name!r}; valid layouts: {', '.join(sorted(LAYOUTS))}"
        ) from None


def layout_from_json(data: dict, default_name: str = "custom") -> Layout:
    """A layout from its JSON description.

    Keys: ``joint_names`` (V names); the tree as ``parents`` (V 0-based parents, the centre
    its own parent) or ``bones`` (``[child, parent]`` pairs); ``center`` (index or name);
    optional ``flip_pairs`` (``[left, right]`` indices or names), ``name``, and
    ``one_based: true`` when the indices count from 1. Joints may be named instead of
    numbered everywhere.

    Raises:
        ValueError: a missing key, an unknown joint name, or a tree that is not one.
    """
    if not isinstance(data, dict):
        raise ValueError("a layout must be a JSON object")
    names = data.get("joint_names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError("'joint_names' must be a non-empty list of joint names")
    shift = 1 if data.get("one_based") else 0

    def index(j: object, what: str) -> int:
        if isinstance(j, str):
            if j not in names:
                raise ValueError(f"{what}: no joint named {j!r}")
            return names.index(j)
        if isinstance(j, bool) or not isinstance(j, int):
            raise ValueError(f"{what}: {j!r} is neither a joint index nor a name")
        return j - shift

    if "center" not in data:
        raise ValueError("'center' (the root joint, an index or a name) is missing")
    center = index(data["center"], "center")
    flips = [(index(a, "flip_pairs"), index(b, "flip_pairs")) for a, b in data.get("flip_pairs", [])]
    name = str(data.get("name", default_name))
    if "parents" in data:
        parents = data["parents"]
        if not isinstance(parents, list) or len(parents) != len(names):
            raise ValueError(f"'parents' must list one parent per joint ({len(names)})")
        return Layout(name, tuple(names), tuple(index(p, "parents") for p in parents), center, tuple(flips))
    if "bones" in data:
        pairs = [(index(c, "bones"), index(p, "bones")) for c, p in data["bones"]]
        return Layout.from_bone_pairs(name, names, pairs, center, flips)
    raise ValueError("give the skeleton tree as 'parents' (one per joint) or 'bones' ([child, parent] pairs)")


def resolve_layout(spec: str) -> Layout:
    """A layout by registry name, or from a JSON file (a path ending ``.json``).

    Raises:
        KeyError: an unknown name.
        ValueError: an unreadable or invalid JSON layout (the message names the file).
    """
    import json
    from pathlib import Path

    if not spec.lower().endswith(".json"):
        return get_layout(spec)
    path = Path(spec).expanduser()
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the layout ({exc})") from None
    try:
        return layout_from_json(data, default_name=path.stem)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
