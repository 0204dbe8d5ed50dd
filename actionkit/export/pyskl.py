"""``pyskl``: one annotation pickle as PYSKL's (and MMAction2's) ``PoseDataset`` reads it.

``OUT`` is the pickle: ``{"split": {name: [frame_dir, ...]}, "annotations": [...]}``, one
annotation per stored sample, in store order::

    {"frame_dir": str, "label": int, "total_frames": int,
     "keypoint": float32 [M, T, V, C]}            # 3D stores: C = 3 (x, y, z)
    # 2D stores (channels x, y, score): keypoint [M, T, V, 2] and
    #   "keypoint_score": float32 [M, T, V]; "img_shape" / "original_shape" (h, w) when known

Split names are PYSKL's: ``<protocol>_train`` and ``<protocol>_val`` (the test part is
``val``; ``xsub_train``, ``xview_val``, ...); a protocol named ``default`` gives bare part
names (``train``, ``val``). Absent bodies at the end (all zero) are dropped, as PYSKL's
files hold each sample's real persons; ``FormatGCNInput`` pads them back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionkit.export.common import (
    CHANNELS_2D,
    ExportError,
    ExportOptions,
    ExportReport,
    Progress,
    SampleShaper,
    check_skeleton,
    part_file_name,
    selected_parts,
    stream_channels,
)
from actionkit.export.pickling import AnnotationPickle
from actionkit.store.reader import Store

#: Sample fields holding a 2D store's image size, written as PYSKL's ``img_shape``.
IMAGE_FIELDS = ("img_height", "img_width")


def pyskl_split_name(protocol: str, part: str) -> str:
    """PYSKL's split key of a protocol's part: ``xsub``/``test`` -> ``xsub_val``."""
    name = part_file_name(part)
    return name if protocol == "default" else f"{protocol}_{name}"


def kept_bodies(x: np.ndarray) -> int:
    """Bodies of ``[T, M, V, C]`` up to the last one with any non-zero value (at least 1)."""
    present = np.flatnonzero(np.abs(x).reshape(x.shape[0], x.shape[1], -1).max(axis=(0, 2)) > 0)
    return int(present[-1]) + 1 if len(present) else 1


def export_pyskl(store: Store, out: Path, options: ExportOptions, progress: Progress | None = None) -> ExportReport:
    """Write the annotation pickle (see the module docstring), one sample in memory at a time.

    Raises:
        ExportError: not a skeleton store, a missing split, or two parts with one PYSKL name.
    """
    check_skeleton(store, options)
    channels = stream_channels(store)
    two_d = channels == CHANNELS_2D
    if not two_d and len(channels) != 3:
        raise ExportError(f"{store.path}: channels {channels}; pyskl takes x, y, z or x, y, score")
    shaper = SampleShaper(store, options, fixed=False)
    names = store.samples["name"]
    split: dict[str, list[str]] = {}
    chosen = np.zeros(len(store), dtype=bool)
    for protocol, part, indices in selected_parts(store, options):
        key = pyskl_split_name(protocol, part)
        if key in split:
            raise ExportError(f"{store.path}: two parts would both be PYSKL split {key!r}")
        split[key] = [str(names[i]) for i in indices]
        chosen[indices] = True
    image = all(f in store.samples for f in IMAGE_FIELDS)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = ExportReport("pyskl", out, [out])
    with open(out, "wb") as fh:
        writer = AnnotationPickle(fh, {"split": split}, "annotations")
        for index, x, t in shaper.samples(np.flatnonzero(chosen)):
            keypoint = x[:, :kept_bodies(x)].transpose(1, 0, 2, 3)  # [T, M, V, C] -> [M, T, V, C]
            ann = {"frame_dir": str(names[index]), "label": int(store.samples["label"][index]), "total_frames": t}
            if two_d:
                ann["keypoint"] = np.ascontiguousarray(keypoint[..., :2])
                ann["keypoint_score"] = np.ascontiguousarray(keypoint[..., 2])
                if image:
                    shape = tuple(int(store.samples[f][index]) for f in IMAGE_FIELDS)
                    ann["img_shape"] = ann["original_shape"] = shape
            else:
                ann["keypoint"] = np.ascontiguousarray(keypoint)
            writer.append(ann)
            report.samples += 1
            if progress:
                progress(1)
        writer.close()
    report.bytes = out.stat().st_size
    return report
