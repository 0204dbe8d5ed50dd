"""The frame counter behind a video prepare's live progress."""

from __future__ import annotations

import threading

from actionkit.prepare.progress import FrameCounter


def test_counter_reports_what_was_added_since_the_last_report():
    seen = []
    counter = FrameCounter(seen.append, start_method="fork", interval=60)
    counter.add(3)
    counter.report()
    counter.report()  # nothing new: no call with 0
    counter.add()
    with counter:
        counter.add(2)
    assert seen == [3, 3] and counter.total == 6


def test_counter_polls_from_a_thread_while_the_prepare_runs():
    seen = []
    polled = threading.Event()
    counter = FrameCounter(lambda n: (seen.append(n), polled.set()), start_method="fork", interval=0.01)
    with counter:
        counter.add(5)
        assert polled.wait(30)  # reported while still inside the prepare, not only at its end
    assert sum(seen) == 5


def test_counter_travels_to_workers_without_its_callback():
    counter = FrameCounter(print, start_method="fork")
    state = counter.__getstate__()
    assert set(state) == {"_value"}
    clone = FrameCounter.__new__(FrameCounter)
    clone.__setstate__(state)
    clone.add(4)
    assert counter.total == 4 and clone._on_frames is None
