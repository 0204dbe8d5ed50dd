"""Small skeleton stores made through ``prepare custom`` from generated per-sample files, for tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionkit.layouts import get_layout
from actionkit.prepare import prepare
from actionkit.sources.custom import CustomSource


def write_samples(folder: Path, n: int, joints: int, bodies: int, channels: int = 3, seed: int = 0,
                  min_frames: int = 5, max_frames: int = 40) -> dict[str, np.ndarray]:
    """``n`` samples ``s000.npy ...`` of shape ``[T, M, V, C]`` (random T), and a labels.csv beside them.

    Labels cycle over 3 classes ``a``, ``b``, ``c``; even samples are ``train``, odd ``test``
    (column ``split``), and ``subject`` is ``i % 4 + 1``. A second body is absent (zeros) in
    every third sample. Returns the arrays by name.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows, arrays = ["name,label,split,subject"], {}
    for i in range(n):
        t = int(rng.integers(min_frames, max_frames + 1))
        x = rng.standard_normal((t, bodies, joints, channels)).astype(np.float32)
        if channels == 3 and bodies > 1 and i % 3 == 0:
            x[:, 1:] = 0
        name = f"s{i:03d}"
        np.save(folder / f"{name}.npy", x)
        arrays[name] = x
        rows.append(f"{name},{'abc'[i % 3]},{'train' if i % 2 == 0 else 'test'},{i % 4 + 1}")
    (folder.parent / "labels.csv").write_text("\n".join(rows) + "\n")
    return arrays


def make_store(tmp: Path, layout: str = "ntu25", bodies: int = 2, two_d: bool = False, n: int = 12,
               seed: int = 0) -> tuple[Path, dict[str, np.ndarray]]:
    """A store of ``n`` generated samples (``layout``; 2D layouts get x, y, score with scores in [0, 1])."""
    lay = get_layout(layout)
    arrays = write_samples(tmp / "raw" / "files", n, lay.num_joints, bodies, seed=seed)
    if two_d:
        for name, x in arrays.items():
            x[..., 2] = np.abs(x[..., 2]) / (1 + np.abs(x[..., 2]))
            np.save(tmp / "raw" / "files" / f"{name}.npy", x)
    source = CustomSource([tmp / "raw" / "files"], lay, tmp / "raw" / "labels.csv")
    out = tmp / f"{layout}.zarr"
    prepare(source, out, workers=0)
    return out, arrays
