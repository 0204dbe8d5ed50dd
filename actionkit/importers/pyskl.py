"""A PYSKL / MMAction2 skeleton annotation pickle as a source of a canonical store.

The pickle (``{"split": {...}, "annotations": [...]}``, or a bare list of annotations)
is read with :func:`~actionkit.importers.safe_pickle.safe_load`, never ``pickle.load``.
Each annotation becomes one sample, in the file's order:

- 3D (``keypoint`` ``[M, T, V, 3]``): the joint stream holds x, y, z;
- 2D (``keypoint`` ``[M, T, V, 2]`` with ``keypoint_score`` ``[M, T, V]``): the joint
  stream holds x, y, score (channels ``("x", "y", "score")``, units pixels);
  ``img_shape`` (h, w) is kept as the ids ``img_height`` / ``img_width``.

Bodies are padded with zeros to the largest M in the file. Split names ``<protocol>_<part>``
become protocol/part with PYSKL's ``val`` read as ``test`` (``xsub_val`` -> ``xsub``/``test``);
names without ``_`` go to protocol ``default``. The layout is guessed from V and the
channels (25 3D: ntu25; 20 3D: kinect_v1_20; 17 2D: coco17; 18 2D: openpose18) unless given.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from actionkit.layouts import Layout, get_layout
from actionkit.sources.base import SampleError, SampleNote, SampleRef, ScanResult, SkeletonSource, Skip

#: Layout guessed from (joints, 2D?).
GUESSED_LAYOUTS = {(25, False): "ntu25", (20, False): "kinect_v1_20", (17, True): "coco17", (18, True): "openpose18"}

CHANNELS_3D = ("x", "y", "z")
CHANNELS_2D = ("x", "y", "score")


def split_part(key: str) -> tuple[str, str]:
    """PYSKL's split key -> (protocol, part).

    ``xsub_val`` -> ``("xsub", "test")``; ``train`` -> ``("default", "train")``.
    """
    protocol, _, part = key.rpartition("_")
    return protocol or "default", "test" if part == "val" else part


class PysklSource(SkeletonSource):
    """The samples of one PYSKL annotation pickle (see the module docstring).

    Args:
        path: The ``.pkl`` file.
        layout: A layout, or None to guess it from the keypoints' shape.
        classes: Class names (index = label), or None for ``"0"``, ``"1"``, ...
        dataset: The store's dataset id.

    Raises:
        ValueError: not an annotation pickle, no usable annotation, or no layout fits.
        UnsafePickleError: the pickle names something other than numpy data.
    """

    def __init__(self, path: Path, layout: Layout | None = None, classes: list[str] | None = None,
                 dataset: str = "pyskl"):
        from actionkit.importers.safe_pickle import safe_load

        self.path = Path(path)
        self.raw = [self.path]
        self.dataset = dataset
        self.description = f"imported from the PYSKL annotation pickle {self.path.name}"
        data = safe_load(self.path)
        if isinstance(data, dict) and "annotations" in data:
            self._split = data.get("split") or {}
            self._annotations = data["annotations"]
        elif isinstance(data, list):
            self._split, self._annotations = {}, data
        else:
            raise ValueError(f"{self.path}: not an annotation pickle (expected a dict with 'annotations', "
                             f"or a list of annotations; got {type(data).__name__})")
        if not isinstance(self._split, dict) or not isinstance(self._annotations, list):
            raise ValueError(f"{self.path}: 'split' must be a dict and 'annotations' a list")
        first = next((a for a in self._annotations if isinstance(a, dict) and _shape(a.get("keypoint"))), None)
        if first is None:
            raise ValueError(f"{self.path}: no annotation has a keypoint array [M, T, V, C]")
        _, _, joints, chans = first["keypoint"].shape
        self.two_d = chans == 2
        self.channels = CHANNELS_2D if self.two_d else CHANNELS_3D
        self.units = "px" if self.two_d else "m"
        self.num_joints = joints
        if layout is None:
            guess = GUESSED_LAYOUTS.get((joints, self.two_d))
            if guess is None:
                raise ValueError(f"{self.path}: {joints} joints with {chans} channels matches no built-in layout; "
                                 f"give --layout NAME or --layout layout.json")
            layout = get_layout(guess)
        if layout.num_joints != joints:
            raise ValueError(f"{self.path}: the keypoints have {joints} joints but layout {layout.name} has "
                             f"{layout.num_joints}")
        self.layout = layout
        self.max_bodies = max([_shape(a.get("keypoint"))[0] for a in self._annotations if isinstance(a, dict)
                               and _shape(a.get("keypoint"))] + [1])
        with_shape = all(isinstance(a, dict) and "img_shape" in a for a in self._annotations)
        self.id_fields = ("img_height", "img_width") if self.two_d and with_shape else ()
        labels = [a.get("label") for a in self._annotations if isinstance(a, dict)]
        top = max([int(v) for v in labels if _is_int(v)] + [-1])
        if classes is not None and len(classes) <= top:
            raise ValueError(f"{self.path}: labels go up to {top} but {len(classes)} class names were given")
        self.classes = tuple(classes) if classes is not None else tuple(str(i) for i in range(top + 1))
        self.warnings: list[str] = []

    def options(self) -> dict[str, Any]:
        return {"layout": self.layout.name, "channels": list(self.channels)}

    def scan(self) -> ScanResult:
        refs: list[SampleRef] = []
        skipped: list[Skip] = []
        seen: set[str] = set()
        for k, ann in enumerate(self._annotations):
            where = f"{self.path}::annotations[{k}]"
            name = ann.get("frame_dir", ann.get("filename")) if isinstance(ann, dict) else None
            if not isinstance(name, str):
                skipped.append(Skip(f"annotations[{k}]", where, "no frame_dir (or filename) string"))
                continue
            where = f"{where} ({name})"
            reason = self._problem(ann, name in seen)
            if reason:
                skipped.append(Skip(name, where, reason))
                continue
            seen.add(name)
            ids = {}
            if self.id_fields:
                h, w = (int(v) for v in ann["img_shape"][:2])
                ids = {"img_height": h, "img_width": w}
            refs.append(SampleRef(name, int(ann["label"]), ids, k, where))
        size = self.path.stat().st_size
        digest = hashlib.sha256(f"{self.path.name}\t{size}\n".encode()).hexdigest()[:16]
        return ScanResult(refs=refs, skipped=skipped, files=1, fingerprint=digest)

    def _problem(self, ann: dict, duplicate: bool) -> str | None:
        """Why an annotation cannot be stored, or None."""
        if duplicate:
            return "duplicate frame_dir (an earlier annotation has the same name)"
        if not _is_int(ann.get("label")) or not 0 <= int(ann["label"]) < len(self.classes):
            return f"label {ann.get('label')!r} is not a class index 0..{len(self.classes) - 1}"
        shape = _shape(ann.get("keypoint"))
        want_c = 2 if self.two_d else 3
        if not shape or shape[2] != self.num_joints or shape[3] != want_c:
            got = getattr(ann.get("keypoint"), "shape", type(ann.get("keypoint")).__name__)
            return f"keypoint {got}, expected [M, T, {self.num_joints}, {want_c}]"
        if shape[0] == 0 or shape[1] == 0:
            return f"keypoint {shape}: no person or no frame"
        if self.two_d:
            score = ann.get("keypoint_score")
            if score is not None and getattr(score, "shape", None) != shape[:3]:
                return f"keypoint_score {getattr(score, 'shape', None)}, expected {shape[:3]}"
        if self.id_fields:
            img = ann["img_shape"]
            if not isinstance(img, (tuple, list)) or len(img) < 2 or not all(_is_int(v) for v in img[:2]):
                return f"img_shape {img!r} is not (height, width)"
        return None

    def read(self, ref: SampleRef) -> np.ndarray:
        ann = self._annotations[ref.locator]
        kp = np.asarray(ann["keypoint"])
        if kp.dtype.kind not in "fiu":
            raise SampleError(f"keypoint of dtype {kp.dtype}, expected numbers")
        m, t, v, _ = kp.shape
        out = np.zeros((t, self.max_bodies, v, 3), dtype=np.float32)
        if self.two_d:
            score = ann.get("keypoint_score")
            if score is None:
                warnings.warn(SampleNote("no keypoint_score: the score channel is 1"))
                score = np.ones(kp.shape[:3], np.float32)
            out[:, :m, :, :2] = kp.transpose(1, 0, 2, 3)
            out[:, :m, :, 2] = np.asarray(score).transpose(1, 0, 2)
        else:
            out[:, :m] = kp.transpose(1, 0, 2, 3)
        total = ann.get("total_frames")
        if _is_int(total) and int(total) != t:
            warnings.warn(SampleNote(f"total_frames {total} but the keypoints have {t} frames; {t} kept"))
        return out

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
        where = {str(n): i for i, n in enumerate(names)}
        out: dict[str, dict[str, np.ndarray]] = {}
        for key, members in self._split.items():
            if not isinstance(key, str) or not isinstance(members, (list, tuple, set)):
                self.warnings.append(f"split {key!r} is not a name with a list of frame_dirs: ignored")
                continue
            protocol, part = split_part(key)
            idx = sorted({where[m] for m in members if m in where})
            missing = sum(1 for m in members if m not in where)
            if missing:
                self.warnings.append(f"split {key}: {missing} of its samples are not in the store (skipped)")
            out.setdefault(protocol, {})[part] = np.asarray(idx, dtype=np.int32)
        return out


def _shape(x: Any) -> tuple[int, ...] | None:
    shape = getattr(x, "shape", None)
    return tuple(int(s) for s in shape) if isinstance(x, np.ndarray) and len(shape) == 4 else None


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
