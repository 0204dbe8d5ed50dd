"""The command line run in-process, the check every user-caused failure must pass, and a tiny store and run.

A module of its own (``from conftest import`` depends on collection order); one for the whole suite.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from actionkit.prepare import prepare
from actionkit.sources.ntu import NTUSource
from actionkit.synthetic import generate_ntu_dataset


def cli(*args: str):
    """Run ``actionkit ARGS`` in-process; returns the click result (stdout and stderr)."""
    from actionkit.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result, *words: str) -> str:
    """The single ``error:`` line of a failed command, checked to hold ``words`` and no traceback."""
    text = result.output
    errors = [line for line in text.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, (result.exit_code, text, result.exception)
    assert "Traceback" not in text and len(errors) == 1, text
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]

#: A one-epoch supervised run that fits in a few seconds on a CPU.
TINY_TRAIN = ["--set", "data.frames=8", "--set", "data.batch_size=4", "--set", "data.workers=0",
              "--set", "run.epochs=1", "--set", "run.device=cpu"]  # fmt: skip


def tiny_store(path: Path, classes: list[int], seed: int) -> Path:
    """A 4-samples-per-class NTU-60 store of ``classes`` (joint stream) at ``path``."""
    generate_ntu_dataset(path.parent / f"{path.stem}-raw", samples_per_class=4, seed=seed, classes=classes)
    prepare(NTUSource([path.parent / f"{path.stem}-raw"], "ntu60"), path, workers=1, streams=("joint",))
    return path
