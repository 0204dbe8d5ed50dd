"""``ctrgcn`` and ``sgn``: frames flattened to rows, as CTR-GCN's, InfoGCN's and SGN's NTU loaders read them.

Both hold, per protocol, every sample zero-padded to ``T`` frames (300 by default) and
flattened to ``(N, T, M * V * C)`` float32 (body, then joint, then coordinate: the
loaders reshape a row to ``(M, V, C)``), with one-hot float64 labels ``(N, classes)``:

- ``ctrgcn``: ``OUT/<name>.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test``
  (CTR-GCN's ``seq_transformation.py`` output, read by ``feeders/feeder_ntu.py``; NTU-60
  stores are named ``NTU60_CS`` / ``NTU60_CV``, NTU-120 ``NTU120_CSub`` / ``NTU120_CSet``);
- ``sgn``: ``OUT/<name>.h5`` (HDF5) with ``x``, ``y``, ``valid_x``, ``valid_y``, ``test_x``,
  ``test_y`` (SGN's ``data.py``; NTU stores are named ``NTU_CS`` / ``NTU_CV``). As SGN's own
  script does, ``valid`` is 5% of the training part drawn with a fixed seed (SGN trains on
  ``x`` and ``valid_x`` together).

The loaders hard-code NTU's 25 joints and 2 bodies (a row of 150 values); stores of
other layouts export with their own row width, for code adapted to them. CTR-GCN reads
NW-UCLA through another feeder (``feeders/feeder_ucla.py``), from one JSON file per clip:
for a one-body ``kinect_v1_20`` store ``ctrgcn`` also writes those,
``OUT/all_sqe/<name>.json`` = ``{"file_name", "skeletons": [T][20][3], "label": 1-based}``
(raw coordinates, every frame: that feeder normalises and resamples itself).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from actionkit.export.common import ExportError, ExportOptions, ExportReport, Progress, SampleShaper, check_skeleton
from actionkit.export.npy import NpyWriter
from actionkit.store.reader import Store

#: CTR-GCN's and SGN's names of the NTU protocols.
CTRGCN_NAMES = {("ntu60", "xsub"): "NTU60_CS", ("ntu60", "xview"): "NTU60_CV",
                ("ntu120", "xsub"): "NTU120_CSub", ("ntu120", "xset"): "NTU120_CSet"}
SGN_NAMES = {("ntu60", "xsub"): "NTU_CS", ("ntu60", "xview"): "NTU_CV",
             ("ntu120", "xsub"): "NTU120_CS", ("ntu120", "xset"): "NTU120_CV"}

#: Share of the training part SGN holds out as ``valid``, and the seed it is drawn with.
SGN_VALID_RATIO = 0.05
SGN_VALID_SEED = 10000


def _train_test(store: Store, options: ExportOptions) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(protocol, train indices, test indices)`` for every selected protocol."""
    protocols = options.protocols or tuple(store.splits)
    if not protocols:
        raise ExportError(f"{store.path}: the store has no splits to export")
    out = []
    for protocol in protocols:
        parts = store.splits.get(protocol)
        if parts is None:
            raise ExportError(f"{store.path}: no protocol {protocol!r}; protocols: {', '.join(store.splits)}")
        chosen = options.parts or ("train", "test")
        train, test = chosen if len(chosen) == 2 else (None, None)
        if train not in parts or test not in parts:
            raise ExportError(f"{store.path}: protocol {protocol} has parts {', '.join(parts)}; these formats need a "
                              f"training and a test part (--parts TRAIN,TEST)")
        out.append((protocol, np.asarray(parts[train], np.int64), np.asarray(parts[test], np.int64)))
    return out


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((len(labels), classes))  # float64, as the reference scripts' np.zeros
    out[np.arange(len(labels)), labels] = 1
    return out


def _row_width(store: Store) -> int:
    return int(store.attrs["max_bodies"]) * store.layout.num_joints * 3


def export_ctrgcn(store: Store, out: Path, options: ExportOptions, progress: Progress | None = None) -> ExportReport:
    """Write one CTR-GCN ``.npz`` per protocol, streaming (see the module docstring)."""
    check_skeleton(store, options)
    shaper = SampleShaper(store, options, fixed=True)
    report = ExportReport("ctrgcn", Path(out), [])
    Path(out).mkdir(parents=True, exist_ok=True)
    classes, width = len(store.classes), _row_width(store)
    for protocol, train, test in _train_test(store, options):
        path = Path(out) / f"{CTRGCN_NAMES.get((store.dataset, protocol), f'{store.dataset}_{protocol}')}.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for key, indices in (("train", train), ("test", test)):
                with zf.open(f"x_{key}.npy", "w", force_zip64=True) as fh:
                    writer = NpyWriter(fh, (len(indices), shaper.length, width), np.float32)
                    for run, block, _frames in shaper.blocks(indices):
                        writer.write_block(block.reshape(len(run), shaper.length, -1))
                        if progress:
                            progress(len(run))
                    writer.close()
                with zf.open(f"y_{key}.npy", "w", force_zip64=True) as fh:
                    labels = _one_hot(store.samples["label"][indices], classes)
                    writer = NpyWriter(fh, labels.shape, labels.dtype)
                    if len(labels):
                        writer.write(labels)
                    writer.close()
            report.samples += len(train) + len(test)
        report.files.append(path)
    if store.layout.name == "kinect_v1_20" and int(store.attrs["max_bodies"]) == 1:
        report.files.append(_ucla_json(store, options, Path(out) / "all_sqe"))
    report.bytes = sum(f.stat().st_size for f in report.files if f.is_file())
    report.notes = shaper.notes()
    return report


def _ucla_json(store: Store, options: ExportOptions, folder: Path) -> Path:
    """CTR-GCN's NW-UCLA input: one JSON per sample of the selected protocols' parts."""
    from actionkit.export.common import sample_blocks

    folder.mkdir(parents=True, exist_ok=True)
    wanted = np.unique(np.concatenate([t for _, a, b in _train_test(store, options) for t in (a, b)]))
    names, labels = store.samples["name"], store.samples["label"]
    for index, x in sample_blocks(store, wanted, "joint"):
        record = {"file_name": str(names[index]), "skeletons": x[:, 0].astype(float).tolist(),
                  "label": int(labels[index]) + 1}
        (folder / f"{names[index]}.json").write_text(json.dumps(record))
    return folder


def sgn_valid_split(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SGN's hold-out: 5% of the training indices (rounded up), drawn with a fixed seed; both sorted."""
    rng = np.random.default_rng(SGN_VALID_SEED)
    count = int(np.ceil(SGN_VALID_RATIO * len(train))) if len(train) > 1 else 0
    chosen = np.zeros(len(train), dtype=bool)
    chosen[rng.choice(len(train), count, replace=False)] = True
    return train[~chosen], train[chosen]


def export_sgn(store: Store, out: Path, options: ExportOptions, progress: Progress | None = None) -> ExportReport:
    """Write one SGN HDF5 file per protocol, streaming (see the module docstring).

    Raises:
        MissingExtraError: h5py is not installed (the ``export`` extra).
    """
    from actionkit.extras import require

    h5py = require("h5py", "export")
    check_skeleton(store, options)
    shaper = SampleShaper(store, options, fixed=True)
    report = ExportReport("sgn", Path(out), [])
    Path(out).mkdir(parents=True, exist_ok=True)
    classes, width = len(store.classes), _row_width(store)
    for protocol, train, test in _train_test(store, options):
        path = Path(out) / f"{SGN_NAMES.get((store.dataset, protocol), f'{store.dataset}_{protocol}')}.h5"
        fit, valid = sgn_valid_split(train)
        with h5py.File(path, "w") as h5:
            for prefix, indices in (("", fit), ("valid_", valid), ("test_", test)):
                data = h5.create_dataset(f"{prefix}x", shape=(len(indices), shaper.length, width), dtype="float32")
                k = 0
                for run, block, _frames in shaper.blocks(indices):
                    data[k:k + len(run)] = block.reshape(len(run), shaper.length, -1)
                    k += len(run)
                    if progress:
                        progress(len(run))
                h5.create_dataset(f"{prefix}y", data=_one_hot(store.samples["label"][indices], classes))
        report.samples += len(train) + len(test)
        report.files.append(path)
    report.bytes = sum(f.stat().st_size for f in report.files)
    report.notes = shaper.notes()
    return report
