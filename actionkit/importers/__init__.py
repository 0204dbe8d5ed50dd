"""Other projects' prepared data -> canonical stores (``actionkit import``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actionkit.importers.pyskl import PysklSource
from actionkit.importers.safe_pickle import UnsafePickleError, safe_load
from actionkit.layouts import Layout

__all__ = ["PysklSource", "UnsafePickleError", "import_pyskl", "safe_load"]


def import_pyskl(path: Path, out: Path, *, layout: Layout | None = None, classes: list[str] | None = None,
                 dataset: str = "pyskl", strict: bool = False, overwrite: bool = False,
                 on_start: Callable[[int, int], None] | None = None,
                 on_progress: Callable[[int], None] | None = None):
    """A PYSKL annotation pickle -> a store with joint, motion and bone streams and the file's splits.

    Returns:
        The :class:`~actionkit.reports.PrepareReport`.

    Raises:
        UnsafePickleError: the pickle names something other than numpy data.
        ValueError: not an annotation pickle, or no layout fits.
        PrepareError: with ``strict``, the first unusable annotation.
    """
    from actionkit.prepare import prepare

    source = PysklSource(path, layout=layout, classes=classes, dataset=dataset)
    return prepare(source, out, workers=0, strict=strict, overwrite=overwrite, on_start=on_start,
                   on_progress=on_progress)
