"""What a person watching a training run sees: a header, then progress inside each epoch.

On an interactive terminal each epoch shows a rich progress bar (steps, samples/s, mean
loss so far, time left); when the output is a file or a pipe (``nohup``, a batch job) a
plain line is printed every ``every_s`` seconds instead, so that logs stay readable. Only
the main process (rank 0 under ``torchrun``) prints anything; the others get a silent
instance.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def _clock(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def run_header(method: str, store: str, preset: str, epochs: int, samples: int, steps: int, world: int,
               device: str) -> str:
    """One line saying what is about to train."""
    return (f"[bold]training {method}[/] on {store} (preset {preset or 'none'}): {epochs} epochs of "
            f"{samples:,} samples ({steps} steps per epoch) on {world} x {device}")


class EpochProgress:
    """Progress of one run's epochs.

    Args:
        console: Where to print (stderr).
        enabled: False on every process but the main one: nothing is printed.
        interactive: A live bar (default: whether ``console`` is a terminal).
        every_s: Seconds between plain lines when not interactive.
    """

    def __init__(self, console: Console, enabled: bool = True, interactive: bool | None = None,
                 every_s: float = 30.0):
        self.console = console
        self.enabled = enabled
        self.interactive = console.is_terminal if interactive is None else interactive
        self.every_s = every_s
        self._bar: Progress | None = None
        self._task: Any = None

    def header(self, text: str) -> None:
        if self.enabled:
            self.console.print(text, highlight=False)

    def start(self, epoch: int, epochs: int, steps: int) -> None:
        """An epoch of ``steps`` optimiser steps begins (``epoch`` is 0-based)."""
        self.epoch, self.epochs, self.steps = epoch, epochs, steps
        self.done, self.samples, self.loss_sum, self.losses = 0, 0, 0.0, 0
        self.t0 = self._last = time.perf_counter()
        if not self.enabled or not self.interactive:
            return
        self._bar = Progress(
            TextColumn(f"[bold]epoch {epoch + 1}/{epochs}[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("steps {task.fields[rate]} samples/s loss {task.fields[loss]}"), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn(), console=self.console, transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task("train", total=steps, rate="-", loss="-")

    def update(self, samples: int, loss: float, steps: int = 0) -> None:
        """``samples`` more samples seen with this batch ``loss``; ``steps`` optimiser steps done with it."""
        if not self.enabled:
            return
        self.samples += samples
        self.loss_sum += loss
        self.losses += 1
        self.done += steps
        now = time.perf_counter()
        rate = self.samples / max(now - self.t0, 1e-9)
        mean = self.loss_sum / self.losses
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=f"{rate:.1f}", loss=f"{mean:.4f}")
        elif now - self._last >= self.every_s:
            self._last = now
            left = (self.steps - self.done) * (now - self.t0) / max(self.done, 1)
            self.console.print(f"epoch {self.epoch + 1}/{self.epochs} step {self.done}/{self.steps} "
                               f"{rate:.1f} samples/s loss {mean:.4f} left {_clock(left)}", highlight=False)

    def stop(self) -> None:
        """The epoch ended (or was interrupted): remove the bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
