"""The process pool: a batch's inputs processed in forked worker processes, in input order,
one bad input never stopping the batch; SIGTERM unwinds like Ctrl-C while a batch runs."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from asl2durable.batch.inputs import internal_error

if TYPE_CHECKING:
    from asl2durable.diagnostics import Diagnostic
    from asl2durable.load.loader import Discovered


def each(
    items: list[Discovered],
    process: Callable[[Discovered], Any],
    failed: Callable[[Discovered, Diagnostic], Any],
    jobs: int = 1,
) -> list:
    """Process every input; an unexpected exception fails that input only.

    ``jobs`` > 1 (0: one per CPU) runs ``process`` in that many forked worker processes; the
    results come back in input order, as with one job (``process`` and its results must not
    print, and results must pickle)."""
    todo = [item for item in items if not item.skipped]

    def one(item: Discovered) -> Any:
        try:
            return process(item)
        except Exception as e:  # noqa: BLE001 - one bad input must not stop the batch
            return failed(item, internal_error(e))

    jobs = jobs or os.cpu_count() or 1
    with _sigterm_exits():
        if jobs == 1 or len(todo) < 2:
            return [one(item) for item in todo]
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods():
            return [one(item) for item in todo]
        global _WORKER_TASK
        _WORKER_TASK = one  # forked workers inherit it: closures do not pickle
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(min(jobs, len(todo)), initializer=_worker_started) as pool:
                results = list(pool.imap(_run_worker_task, todo, chunksize=1))
                # done: the workers take their stop message and exit. Terminating them (what
                # leaving the ``with`` does) would signal workers that may be between a task
                # and the queue's lock, and one could be left waiting on it forever.
                pool.close()
                pool.join()
                return results
        finally:  # leaving the ``with`` on an error, SIGTERM or Ctrl-C terminates the workers
            _WORKER_TASK = None


_WORKER_TASK: Callable[[Discovered], Any] | None = None


def _run_worker_task(item: Discovered) -> Any:
    assert _WORKER_TASK is not None
    return _WORKER_TASK(item)


def _worker_started() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it terminates the pool); SIGTERM, which is
    how the pool terminates a worker, exits through ``finally`` blocks so a folder being written
    is cleaned up (the writer defers it while renaming a folder into place)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _sigterm_exits() -> Iterator[None]:
    """While a batch runs, SIGTERM (``kill``) unwinds like Ctrl-C instead of killing the process
    on the spot: worker processes are terminated and half-written folders removed; exit 143."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
