"""Shared fixtures of the command-line tests: tiny stores and a run trained through ``actionkit train``."""

from __future__ import annotations

import pytest
from clirun import TINY_TRAIN, tiny_store
from typer.testing import CliRunner

from actionkit.cli.main import app


@pytest.fixture(scope="session")
def cli_store(tmp_path_factory):
    """4 NTU-60 classes x 4 samples (cross-subject: 8 train, 8 test)."""
    return tiny_store(tmp_path_factory.mktemp("cli-store") / "s.zarr", [10, 23, 27, 55], seed=1)


@pytest.fixture(scope="session")
def cli_run(cli_store, tmp_path_factory):
    """``(run folder, CLI result)`` of ``actionkit train supervised`` on :func:`cli_store`."""
    run = tmp_path_factory.mktemp("cli-run") / "run"
    result = CliRunner().invoke(app, ["train", "supervised", "--store", str(cli_store), "--preset", "demo",
                                      *TINY_TRAIN, "--out", str(run)])  # fmt: skip
    return run, result
