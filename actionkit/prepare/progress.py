"""Frames done by a video prepare's workers, counted as they go, for a live progress display.

A video prepare works one sample per worker, and one sample can take minutes (decoding
and TV-L1 flow of a long video), so counting finished samples leaves a progress bar
still for minutes. Workers add every frame they finish to a shared counter; a thread of
the main process reads it a few times a second and reports what was added.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections.abc import Callable


class FrameCounter:
    """A count of frames shared by worker processes, reported to ``on_frames`` while a prepare runs.

    Picklable while worker processes start (it travels with the per-sample encoder);
    ``on_frames`` stays in the main process and is called from a helper thread.

    Args:
        on_frames: Called with the number of frames finished since its last call
            (never with 0); ``None`` counts without reporting.
        start_method: The workers' start method (the shared value must come from its context).
        interval: Seconds between reads of the counter.
    """

    def __init__(self, on_frames: Callable[[int], None] | None, start_method: str = "forkserver",
                 interval: float = 0.2):
        self._value = mp.get_context(start_method).Value("q", 0)
        self._on_frames = on_frames
        self._interval = interval
        self._reported = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __getstate__(self) -> dict:
        return {"_value": self._value}  # the callback and the thread stay in the main process

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _on_frames=None, _interval=0.0, _reported=0, _stop=threading.Event(),
                             _thread=None)

    def add(self, frames: int = 1) -> None:
        """Count ``frames`` finished frames (in any process)."""
        with self._value.get_lock():
            self._value.value += frames

    @property
    def total(self) -> int:
        """Frames counted so far, by every process."""
        return int(self._value.value)

    def report(self) -> None:
        """Pass the frames counted since the last report to ``on_frames``."""
        total = self.total
        if self._on_frames is not None and total > self._reported:
            self._on_frames(total - self._reported)
            self._reported = total

    def _poll(self) -> None:
        while not self._stop.wait(self._interval):
            self.report()

    def __enter__(self) -> FrameCounter:
        if self._on_frames is not None:
            self._thread = threading.Thread(target=self._poll, name="frame-counter", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.report()
