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

LAYOUTS: dict[str, Layout] = {"ntu25": NTU25, "kinect_v1_20": KINECT_V1_20}


def get_layout(name: str) -> Layout:
    """Returns the registered layout called ``name``.

    Raises:
        KeyError: If no layout has that name; the message lists the valid names.
    """
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(
            f"unknown skeleton layout {name!r}; valid layouts: {', '.join(sorted(LAYOUTS))}"
        ) from None
