"""The last step every prepare shares: provenance, splits, counts, and the attributes that complete a store.

Skeleton prepares, video prepares and the merge of a sharded prepare end the same way:
the store's attributes record where the data came from and what was left out, the
source computes its evaluation splits over the stored samples, and
:meth:`StoreWriter.finish` writes them last, which marks the store complete.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol

import numpy as np

from actionkit import __version__
from actionkit.reports import Note, Skip
from actionkit.store.writer import StoreWriter


class SplittingSource(Protocol):
    """What finishing a store needs of a source (skeleton and video sources both qualify)."""

    id_fields: tuple[str, ...]

    def splits(self, names: np.ndarray, ids: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]: ...


def provenance(source: Any, scan: Any, options: dict[str, Any], skipped: list[Skip],
               notes: list[Note]) -> dict[str, Any]:
    """The attributes every store carries about its origin and what was left out.

    Args:
        source: The raw dataset (its ``raw`` paths and ``warnings`` are recorded).
        scan: The source's :class:`~actionkit.sources.base.ScanResult`.
        options: The source's options that change the stored arrays.
        skipped: Samples left out, with path and reason.
        notes: Notes on stored samples.
    """
    return {
        "source": {
            "raw": [str(p) for p in getattr(source, "raw", [])],
            "files": scan.files,
            "fingerprint": scan.fingerprint,
            "options": options,
        },
        "tool": {"name": "actionkit", "version": __version__},
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "skipped": [s.as_dict() for s in skipped],
        "excluded": dict(scan.excluded),
        "notes": [n.as_dict() for n in notes],
        "warnings": list(source.warnings),
    }


def finish_store(writer: StoreWriter, source: SplittingSource, attrs: dict[str, Any],
                 excluded: dict[str, int]) -> None:
    """Splits, counts and, last, the attributes that make the store complete.

    Args:
        writer: The flushed writer of the store.
        source: Computes the evaluation splits over the stored samples.
        attrs: The store's attributes, with ``skipped`` and ``notes`` filled; ``splits``
            (counts per part) and ``counts`` are added here.
        excluded: Samples left out by the dataset's rules, counted by rule.
    """
    columns = writer.columns
    splits = source.splits(columns["name"], {k: columns[k] for k in source.id_fields}) if len(columns["name"]) else {}
    attrs["splits"] = {p: {part: int(len(i)) for part, i in parts.items()} for p, parts in splits.items()}
    attrs["counts"] = {"samples": int(len(columns["name"])), "frames": int(columns["frames"].sum()),
                       "skipped": len(attrs["skipped"]), "excluded": int(sum(excluded.values())),
                       "notes": len(attrs["notes"])}
    writer.finish(splits, attrs)
