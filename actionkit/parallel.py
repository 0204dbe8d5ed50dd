"""An ordered, bounded parallel map over worker processes: the engine of every prepare.

Unlike ``Pool.imap``, at most ``workers * in_flight`` batches are outstanding, so a
consumer slower than the workers (the store writer) never lets results pile up in
memory. With the ``fork`` start method the function reaches the workers as a module
global: nothing but the items and the results is pickled, and a source may hold
unpicklable state. Work that uses OpenCV must not fork a process whose OpenCV thread
pool has run (the child deadlocks): it uses ``forkserver``, and the function (then
picklable) is sent once to each worker.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_worker_func: Callable[[Any], Any] | None = None


def _run_batch(items: list[Any]) -> list[Any]:
    assert _worker_func is not None
    return [_worker_func(item) for item in items]


def _init_worker(func: Callable[[Any], Any] | None, initializer: Callable[[], None] | None) -> None:
    global _worker_func
    if func is not None:
        _worker_func = func
    if initializer is not None:
        initializer()


def ordered_map(
    func: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    *,
    batch: int = 8,
    in_flight: int = 4,
    initializer: Callable[[], None] | None = None,
    start_method: str = "fork",
) -> Iterator[R]:
    """``func`` over ``items`` on ``workers`` processes, results in input order.

    Args:
        func: Called once per item in a worker process (must not raise for bad input:
            return the error as a value, so one sample cannot stop a long run).
        items: The inputs.
        workers: Processes; 0 or 1 (or fewer than two batches per worker) runs in-process.
        batch: Items per task sent to a worker.
        in_flight: Tasks outstanding per worker.
        initializer: Run once in each worker process (e.g. to pin library threads).
        start_method: ``fork`` (``func`` inherited), or ``forkserver`` / ``spawn``
            (``func`` and ``initializer`` must be picklable).
    """
    global _worker_func
    _worker_func = func
    if workers <= 1 or len(items) < 2 * workers:
        for item in items:
            yield func(item)
        return
    batches = (list(items[i:i + batch]) for i in range(0, len(items), batch))
    ctx = mp.get_context(start_method)
    sent = None if start_method == "fork" else func
    with ctx.Pool(workers, initializer=_init_worker, initargs=(sent, initializer)) as pool:
        pending: deque = deque()
        for chunk in batches:
            pending.append(pool.apply_async(_run_batch, (chunk,)))
            if len(pending) >= workers * in_flight:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
