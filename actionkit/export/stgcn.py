"""``stgcn``: the data files of st-gcn, 2s-AGCN and CMD (their ``data_gen`` output).

Per protocol, in ``OUT/<protocol>/``, per part (the test part is named ``val``, as the
``data_gen`` scripts name it):

- ``<part>_data_<stream>.npy``: float32 ``(N, C, T, V, M)``, every sample zero-padded to
  ``T`` frames (300 by default; ``--normalize agcn`` loops each body into the padding as
  2s-AGCN's ``pre_normalization`` does); the stream file names are 2s-AGCN's: ``joint``,
  ``bone``, ``joint_motion``;
- ``<part>_label.pkl``: the pickled tuple ``(sample names, labels)``, a list of ``str`` and a
  list of ``int``, as the feeders unpack it;
- ``<part>_num_frame.npy``: int64 ``(N,)``, the frames of real data in each row (CMD's
  feeder crops within them).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from actionkit.export.common import (
    STREAM_FILE_NAMES,
    ExportOptions,
    ExportReport,
    Progress,
    SampleShaper,
    check_skeleton,
    part_file_name,
    selected_parts,
)
from actionkit.export.npy import NpyWriter
from actionkit.store.reader import Store


def to_nctvm(block: np.ndarray) -> np.ndarray:
    """``[B, T, M, V, C]`` -> contiguous ``[B, C, T, V, M]``.

    One strided copy per (channel, body) pair: several times faster than numpy's general
    transpose, whose innermost output axis (M = 2) would be written two floats at a time.
    """
    b, t, m, v, c = block.shape
    out = np.empty((b, c, t, v, m), dtype=np.float32)
    for ci in range(c):
        for mi in range(m):
            out[:, ci, :, :, mi] = block[:, :, mi, :, ci]
    return out


def export_stgcn(store: Store, out: Path, options: ExportOptions, progress: Progress | None = None) -> ExportReport:
    """Write the st-gcn family's files of every selected part (see the module docstring).

    Returns:
        The report; ``files`` lists the ``.npy`` and ``.pkl`` files.
    """
    check_skeleton(store, options)
    shaper = SampleShaper(store, options, fixed=True)
    report = ExportReport("stgcn", Path(out), [])
    m, v = int(store.attrs["max_bodies"]), store.layout.num_joints
    for protocol, part, indices in selected_parts(store, options):
        folder = Path(out) / protocol
        folder.mkdir(parents=True, exist_ok=True)
        name = part_file_name(part)
        data_path = folder / f"{name}_data_{STREAM_FILE_NAMES[options.stream]}.npy"
        valid = np.zeros(len(indices), dtype=np.int64)
        with open(data_path, "wb") as fh:
            writer = NpyWriter(fh, (len(indices), 3, shaper.length, v, m), np.float32)
            k = 0
            for run, block, frames in shaper.blocks(indices):
                writer.write_block(to_nctvm(block))
                valid[k:k + len(run)] = frames
                k += len(run)
                if progress:
                    progress(len(run))
            writer.close()
        names = [str(store.samples["name"][i]) for i in indices]
        labels = [int(store.samples["label"][i]) for i in indices]
        with open(folder / f"{name}_label.pkl", "wb") as fh:
            pickle.dump((names, labels), fh)
        np.save(folder / f"{name}_num_frame.npy", valid)
        report.files += [data_path, folder / f"{name}_label.pkl", folder / f"{name}_num_frame.npy"]
        report.samples += len(indices)
    report.bytes = sum(f.stat().st_size for f in report.files)
    report.notes = shaper.notes()
    return report
