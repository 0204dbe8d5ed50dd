"""The top level: one ``error:`` line per failure, missing extras named, --debug, --version, completion."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from actionkit import __version__
from actionkit.cli import errors, stores
from actionkit.cli.main import app, main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


def test_version(capsys):
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"actionkit {__version__}"


def test_completion_is_offered():
    from typer.testing import CliRunner

    text = CliRunner().invoke(app, ["--help"]).output
    assert "--install-completion" in text and "--show-completion" in text


def test_usage_error_is_one_line_exit_2(capsys):
    code, _, err = _run(capsys, "eval", "probe", "runs/x")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: unknown protocol 'probe'")
    assert "protocols: knn, linear, finetune, semi, transfer, test" in lines[0]
    code, _, err = _run(capsys, "train", "supervised", "--epochs", "3")
    assert code == 2 and err.startswith("error: No such option: --epochs") and "Traceback" not in err


def test_an_unexpected_failure_is_one_line_and_the_traceback_comes_with_debug(capsys, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk said no")

    monkeypatch.setattr("actionkit.store.inspect.verify_store", broken)
    code, _, err = _run(capsys, "verify", str(tmp_path))
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: RuntimeError: the disk said no") and "--debug" in err

    with pytest.raises(RuntimeError, match="the disk said no"):
        main(["--debug", "verify", str(tmp_path)])
    errors.debug = False
    monkeypatch.setenv("ACTIONKIT_DEBUG", "1")
    with pytest.raises(RuntimeError, match="the disk said no"):
        main(["verify", str(tmp_path)])
    assert stores.verify_command  # the command itself was reached through its module


def test_a_missing_optional_dependency_names_the_extra(capsys, monkeypatch, tmp_path):
    def needs_cv2(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'cv2'", name="cv2")

    monkeypatch.setattr("actionkit.store.inspect.verify_store", needs_cv2)
    code, _, err = _run(capsys, "verify", str(tmp_path))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: cv2 is not installed: this needs the 'video' extra; install it with pip "
                          "install 'actionkit[video]'")


def test_without_torch_training_says_which_extra_in_one_line(tmp_path):
    """A real interpreter where ``import torch`` fails, as after a core-only install."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from actionkit.cli.main import main\n"
            "main(sys.argv[1:])\n")
    for argv in (["train", "supervised", "--help"], ["demo", "--out", str(tmp_path / "d.zarr")]):
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "ACTIONKIT_DEBUG": ""})
        assert proc.returncode == 1, proc.stderr
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: torch is not installed: this needs "
                                                                       "the 'train' extra; install it with pip "
                                                                       "install 'actionkit[train]'")
    assert not (tmp_path / "d.zarr").exists()  # the demo fails before it prepares anything
