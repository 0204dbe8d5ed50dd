"""Live feedback: the header, plain progress lines off a terminal, silence off rank 0, TensorBoard scalars."""

from __future__ import annotations

import builtins
import io

import pytest
from rich.console import Console

from actionkit.trainers.progress import EpochProgress, run_header
from actionkit.trainers.tensorboard import ScalarWriter


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=False, width=200), buf


def test_plain_lines_when_not_a_terminal():
    console, buf = _console()
    p = EpochProgress(console, interactive=None, every_s=0.0)
    assert not p.interactive
    p.header(run_header("supervised", "data/nwucla.zarr", "nwucla-xview-cpu", 8, 1020, 63, 1, "cpu"))
    p.start(2, 8, steps=4)
    for loss in (2.0, 1.0):
        p.update(16, loss, steps=1)
    p.stop()
    lines = buf.getvalue().splitlines()
    assert lines[0] == ("training supervised on data/nwucla.zarr (preset nwucla-xview-cpu): 8 epochs of 1,020 "
                        "samples (63 steps per epoch) on 1 x cpu")
    assert lines[1].startswith("epoch 3/8 step 1/4 ") and "loss 2.0000" in lines[1]
    assert lines[2].startswith("epoch 3/8 step 2/4 ") and "loss 1.5000" in lines[2] and "left 0:00:0" in lines[2]


def test_a_bar_on_a_terminal_and_silence_off_rank_zero():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120)
    bar = EpochProgress(console)
    assert bar.interactive
    bar.start(0, 1, steps=2)
    bar.update(8, 1.0, steps=1)
    bar.stop()
    assert "epoch 1/1" in buf.getvalue()
    quiet_console, quiet = _console()
    q = EpochProgress(quiet_console, enabled=False, every_s=0.0)
    q.header("training")
    q.start(0, 1, steps=2)
    q.update(8, 1.0, steps=1)
    q.stop()
    assert quiet.getvalue() == ""


def test_tensorboard_gets_the_metrics_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    w = ScalarWriter(tmp_path / "tb")
    w.log({"epoch": 0, "step": 50, "lr": 0.1, "loss": 2.5, "acc": 0.1})
    w.log({"epoch": 0, "step": 63, "epoch_seconds": 3.0, "train_loss": 2.4, "test_top1": 0.3})
    w.close()
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/lr", "train/loss", "train/acc", "epoch/train_loss", "epoch/test_top1"} <= tags
    assert [(e.step, e.value) for e in acc.Scalars("epoch/test_top1")] == [(63, pytest.approx(0.3))]


def test_tensorboard_missing_says_what_to_install(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError("No module named 'tensorboard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(ValueError, match=r"needs the tensorboard package.*pip install 'actionkit\[report\]'"):
        ScalarWriter(tmp_path / "tb")
