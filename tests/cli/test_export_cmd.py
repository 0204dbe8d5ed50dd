"""``actionkit export``: arguments, one-line errors, progress and the files written."""

from __future__ import annotations

import numpy as np
from skeleton_stores import make_store
from typer.testing import CliRunner

from actionkit.cli.main import app


def test_export_command(tmp_path):
    store, _ = make_store(tmp_path, n=6)
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(store), "--format", "stgcn", "--out", str(tmp_path / "o"),
                                 "--pad", "16", "--stream", "bone", "--parts", "train"])
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "o" / "default" / "train_data_bone.npy").shape == (3, 3, 16, 25, 2)
    for args, message in ((["--format", "hdf"], "--format 'hdf' is not one of"),
                          (["--format", "pyskl", "--protocol", "xsub"], "no protocol 'xsub'"),
                          (["--format", "stgcn", "--frames", "8", "--pad", "8"], "not both"),
                          (["--format", "rawframes"], "a skeleton store; rawframes takes video stores"),
                          (["--format", "stgcn", "--normalize", "zscore"], "unknown normalisation 'zscore'")):
        result = runner.invoke(app, ["export", str(store), "--out", str(tmp_path / "x"), *args])
        assert result.exit_code == 1 and "error:" in result.output and message in result.output, result.output
        assert "Traceback" not in result.output
    result = runner.invoke(app, ["export", str(tmp_path / "nothing.zarr"), "-f", "pyskl", "--out", "x.pkl"])
    assert result.exit_code == 1 and "no such store" in result.output
