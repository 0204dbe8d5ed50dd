"""The command line run in-process, and the check every user-caused failure must pass."""

from __future__ import annotations

from typer.testing import CliRunner


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
