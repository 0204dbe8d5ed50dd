"""actionkit: raw action-recognition downloads to canonical Zarr stores, and the methods trained on them.

The public entry point for reading data is :func:`open_store`. Subpackages:
``store`` (schema, writer, reader), ``codecs`` (decoders of encoded streams), ``sources``
(raw datasets), ``video`` (frames: resizing, flow), ``kernels`` (Numba hot paths),
``layouts``, ``normalize``, ``reports`` (what a prepare reports), ``extras`` (optional
dependencies) and ``prepare`` (the raw -> store pipelines). ``docs/architecture.md``
shows how they layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from actionkit.store.reader import Store


def open_store(path: "str | Path", *, allow_incomplete: bool = False) -> "Store":
    """Open a canonical store for reading (see :func:`actionkit.store.reader.open_store`).

    Kept as a thin function so that ``import actionkit`` does not import Zarr.
    """
    from actionkit.store.reader import open_store as _open_store

    return _open_store(path, allow_incomplete=allow_incomplete)
