"""Raw download -> canonical store: the pipelines behind ``actionkit prepare``.

Modules:
    :mod:`~actionkit.prepare.skeleton`: skeleton stores (:func:`prepare`).
    :mod:`~actionkit.prepare.video`: video stores (:func:`prepare_video`, :class:`VideoSettings`).
    :mod:`~actionkit.prepare.parts`: sharded prepares (``--shard i/n``) and the merge of their parts.
    :mod:`~actionkit.prepare.finish`: the last step all of them share (provenance, splits, counts).

The report types (:class:`PrepareReport`, :class:`Skip`, :class:`Note`) and
:class:`PrepareError` live in :mod:`actionkit.reports`, below the store, and are
re-exported here. Importing this package imports no video library (OpenCV, decord,
PyAV): the video pipeline loads them only when it runs.
"""

from __future__ import annotations

from actionkit.prepare.parts import parse_shard
from actionkit.prepare.skeleton import prepare
from actionkit.prepare.video import VideoSettings, prepare_video
from actionkit.reports import Note, PrepareError, PrepareReport, Skip

__all__ = ["Note", "PrepareError", "PrepareReport", "Skip", "VideoSettings", "parse_shard", "prepare",
           "prepare_video"]
