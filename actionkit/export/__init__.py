"""Prepared stores to the files other projects' data loaders read (``actionkit export``).

One module per family of formats; :data:`FORMATS` maps each format's name to its writer
``(store, out, options, progress) -> ExportReport``. Every writer streams: it holds a
block of the store and a write buffer, never a whole output array.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actionkit.export.common import ExportError, ExportOptions, ExportReport, Progress
from actionkit.export.flat import export_ctrgcn, export_sgn
from actionkit.export.pyskl import export_pyskl
from actionkit.export.stgcn import export_stgcn
from actionkit.export.video import export_rawframes, export_videolist
from actionkit.store.reader import Store

__all__ = ["FORMATS", "ExportError", "ExportOptions", "ExportReport", "export", "samples_to_write"]

Writer = Callable[[Store, Path, ExportOptions, Progress | None], ExportReport]

#: Format name -> (writer, what it is for).
FORMATS: dict[str, tuple[Writer, str]] = {
    "pyskl": (export_pyskl, "PYSKL / MMAction2 PoseDataset annotation pickle"),
    "stgcn": (export_stgcn, "st-gcn / 2s-AGCN / CMD data_gen files: (N, C, T, V, M) .npy, label .pkl, num_frame"),
    "ctrgcn": (export_ctrgcn, "CTR-GCN / InfoGCN NTU .npz: x_train (N, T, M*V*C), one-hot y_train, x_test, y_test"),
    "sgn": (export_sgn, "SGN HDF5: x, y, valid_x, valid_y, test_x, test_y"),
    "rawframes": (export_rawframes, "MMAction2 rawframes tree (img_/flow_x_/flow_y_00001.jpg) and file lists"),
    "videolist": (export_videolist, "MMAction2 video lists and the stored video files"),
}


def samples_to_write(store: Store, fmt: str, options: ExportOptions) -> int:
    """How many samples the export will write (for a progress bar)."""
    from actionkit.export.common import selected_parts

    parts = selected_parts(store, options)
    if fmt in ("pyskl", "rawframes", "videolist"):
        import numpy as np

        return len(np.unique(np.concatenate([i for _, _, i in parts]))) if parts else 0
    if fmt in ("ctrgcn", "sgn"):
        chosen = options.parts or ("train", "test")
        return sum(len(i) for _, part, i in parts if part in chosen)
    return sum(len(i) for _, _, i in parts)


def export(store: Store, fmt: str, out: Path, options: ExportOptions | None = None,
           progress: Progress | None = None) -> ExportReport:
    """Write ``store`` in format ``fmt`` to ``out``.

    Raises:
        ExportError: an unknown format, or a store the format cannot take.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    return FORMATS[fmt][0](store, Path(out), options or ExportOptions(), progress)
