"""Run long work off the GUI thread and hand (result, error) back on the GUI thread.

This is the pattern of Picard's ``util/thread.py``: one helper, :func:`run_task`, runs a
function on a worker thread and calls ``callback(result, error)`` on the GUI thread when it
ends; exactly one of the two is set. Progress reports from the worker (any thread) are
throttled and delivered on the GUI thread too, so the event loop never floods.

Every task has a :class:`scorer.pipeline.CancelToken`; :func:`shutdown` cancels and joins all
running tasks, so closing the window never leaves a thread behind.
"""

from __future__ import annotations

import atexit
import json
import logging
import multiprocessing
import multiprocessing.util  # noqa: F401 - see the atexit note below
import queue as queue_mod
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from scorer.pipeline import CancelToken

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any, BaseException | None], None]
ProgressSlot = Callable[[str, float], None]


class _Relay(QObject):
    """Lives in the GUI thread; signals emitted from workers are queued to it."""

    finished = Signal(object, object, object)  # task, result, error
    progressed = Signal(object, str, float)  # task, stage, fraction

    @Slot(object, object, object)
    def _finish(self, task, result, error):
        task._deliver(result, error)

    @Slot(object, str, float)
    def _progress(self, task, stage, fraction):
        if task.on_progress is not None and not task.done:
            task.on_progress(stage, fraction)


_relay: _Relay | None = None
_running: set[Task] = set()
_lock = threading.Lock()


def _get_relay() -> _Relay:
    global _relay
    if _relay is None:
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("run_task needs a QApplication")
        _relay = _Relay()
        _relay.moveToThread(app.thread())
        _relay.finished.connect(_relay._finish)
        _relay.progressed.connect(_relay._progress)
    return _relay


class Task:
    """A function running on a worker thread.

    Attributes:
        name: What runs, for the status line and logs.
        cancel: Token the function should check; :meth:`cancel_task` sets it.
        done: True once the callback has run (or the task was discarded).
    """

    def __init__(self, name: str, func: Callable[..., Any], callback: ResultCallback,
                 on_progress: ProgressSlot | None, min_interval: float):
        self.name = name
        self.cancel = CancelToken()
        self.done = False
        self.on_progress = on_progress
        self._func = func
        self._callback = callback
        self._min_interval = min_interval
        self._last_emit = 0.0
        self._thread = threading.Thread(target=self._run, name=f"scorer-ui-{name}",
                                        daemon=True)

    def progress(self, stage: str, fraction: float) -> None:
        """Progress callback for the worker; throttled, safe from any thread."""
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_emit < self._min_interval:
            return
        self._last_emit = now
        _get_relay().progressed.emit(self, stage, float(fraction))

    def _run(self) -> None:
        result, error = None, None
        try:
            result = self._func(self)
        except BaseException as exc:  # noqa: BLE001 - handed to the callback, never lost
            error = exc
        _get_relay().finished.emit(self, result, error)

    def _deliver(self, result, error) -> None:
        with _lock:
            _running.discard(self)
        if self.done:
            return
        self.done = True
        self._thread.join(timeout=5.0)
        self._callback(result, error)

    def cancel_task(self) -> None:
        """Ask the work to stop; the callback still runs (with a Cancelled error)."""
        self.cancel.set()

    def is_alive(self) -> bool:
        """Return True while the worker thread runs."""
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker thread to end."""
        self._thread.join(timeout)


def run_task(name: str, func: Callable[[Task], Any], callback: ResultCallback,
             progress: ProgressSlot | None = None, min_interval: float = 0.05) -> Task:
    """Run ``func(task)`` on a worker thread; ``callback(result, error)`` on the GUI thread.

    Args:
        name: What runs (shown in the status line, used in the thread name).
        func: Work to do; it receives the :class:`Task` for ``task.progress`` and
            ``task.cancel``. It must not touch widgets.
        callback: Called on the GUI thread with (result, None) or (None, exception).
        progress: Called on the GUI thread with (stage, fraction), at most every
            ``min_interval`` seconds (and always at 1.0).
        min_interval: Throttle for progress delivery, in seconds.

    Returns:
        The running task.
    """
    _get_relay()
    task = Task(name, func, callback, progress, min_interval)
    with _lock:
        _running.add(task)
    task._thread.start()
    return task


def running_tasks() -> list[Task]:
    """Return the tasks whose results have not been delivered yet."""
    with _lock:
        return list(_running)


def shutdown(timeout: float = 10.0) -> None:
    """Cancel every running task and join its thread; callbacks are dropped."""
    for task in running_tasks():
        task.cancel.set()
        task.done = True
    deadline = time.monotonic() + timeout
    for task in running_tasks():
        task.join(max(0.0, deadline - time.monotonic()))
        if task.is_alive():
            log.warning("worker %s did not stop within %.0f s", task.name, timeout)
    with _lock:
        _running.clear()


def _rebuild_error(name: str, message: str, path: str, trace: str) -> BaseException:
    """Turn a child's error report back into the scorer.errors class it was."""
    from scorer import errors

    cls = getattr(errors, name, None)
    if cls is errors.Cancelled:
        return errors.Cancelled(message or "cancelled")
    if isinstance(cls, type) and issubclass(cls, errors.ScorerError):
        return cls(message, path or None)
    log.info("worker traceback:\n%s", trace)
    return errors.ScorerError(f"{name}: {message}")


class WorkerProcess:
    """A child process that runs :mod:`ui.jobs` one at a time, reused between jobs.

    Not a daemon, since jobs may start processes of their own (the library indexes with a
    pool); :func:`stop_workers` ends the workers and is registered with atexit too.
    Starting a Python process costs a few hundred milliseconds and a fork of the GUI process,
    so workers are kept and reused (and one is started early by :func:`warm_up`).
    """

    def __init__(self):
        from ui.jobs import worker_main

        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        self.requests = ctx.Queue()
        self.messages = ctx.Queue()
        self.cancel = ctx.Event()
        self.process = ctx.Process(target=worker_main,
                                   args=(self.requests, self.messages, self.cancel),
                                   name="scorer-worker", daemon=False)
        self.process.start()

    def alive(self) -> bool:
        return self.process.is_alive()

    def run(self, name: str, job: str, payload: str, task: Task):
        """Run one job; pump progress into ``task``; return the result or raise its error."""
        self.cancel.clear()
        self.requests.put((job, payload))
        while True:
            if task.cancel.is_set():
                self.cancel.set()
            try:
                msg = self.messages.get(timeout=0.05)
            except queue_mod.Empty:
                if self.process.is_alive():
                    continue
                try:
                    msg = self.messages.get(timeout=0.5)
                except queue_mod.Empty:
                    from scorer.errors import ScorerError

                    raise ScorerError(f"the {name} worker stopped unexpectedly (exit code "
                                      f"{self.process.exitcode})") from None
            if msg[0] == "progress":
                task.progress(msg[1], msg[2])
            elif msg[0] == "result":
                return json.loads(msg[1])
            else:
                raise _rebuild_error(*msg[1:])

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to end (cancelling its job) and join it; terminate if it must."""
        self.cancel.set()
        try:
            self.requests.put(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        for q in (self.requests, self.messages):
            q.close()
            q.cancel_join_thread()


_idle: list[WorkerProcess] = []
_busy: set[WorkerProcess] = set()
_pool_lock = threading.Lock()
MAX_IDLE = 2


_closing = False


def _acquire() -> WorkerProcess:
    with _pool_lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive():
                _busy.add(worker)
                return worker
    worker = WorkerProcess()
    with _pool_lock:
        _busy.add(worker)
        closing = _closing
    if closing:  # stop_workers ran while this one was starting
        _release(worker, False)
        from scorer.errors import Cancelled

        raise Cancelled("shutting down")
    return worker


def _release(worker: WorkerProcess, healthy: bool) -> None:
    with _pool_lock:
        _busy.discard(worker)
        keep = healthy and worker.alive() and len(_idle) < MAX_IDLE
        if keep:
            _idle.append(worker)
    if not keep:
        worker.stop(timeout=1.0)


def warm_up() -> None:
    """Start one worker process in the background, so the first job starts at once."""
    def start():
        try:
            worker = _acquire()
        except BaseException:  # noqa: BLE001 - shutting down while warming up
            return
        _release(worker, True)

    threading.Thread(target=start, name="scorer-warm-up", daemon=True).start()


def stop_workers(final: bool = False) -> None:
    """End every worker process; ``final`` (at exit) also stops any still starting."""
    global _closing
    with _pool_lock:
        _closing = _closing or final
        workers = list(_idle) + list(_busy)
        _idle.clear()
        _busy.clear()
    for worker in workers:
        worker.stop()


# multiprocessing.util (imported above, so its handler is registered first) joins non-daemon
# children at exit; atexit runs handlers last-in first-out, so this one stops them before.
atexit.register(stop_workers, True)


def run_in_process(name: str, job: str, kwargs: dict, callback: ResultCallback,
                   progress: ProgressSlot | None = None,
                   convert: Callable[[Any], Any] | None = None) -> Task:
    """Run a job of :mod:`ui.jobs` in a worker process, supervised by a worker thread.

    Same contract as :func:`run_task`: ``callback(result, error)`` on the GUI thread, progress
    throttled onto the GUI thread, cancel through the task. A worker that does not stop after
    a cancel is terminated, so no process is left running.

    Args:
        name: What runs.
        job: Key of :data:`ui.jobs.JOBS`.
        kwargs: JSON-ready arguments of the job.
        callback: Receives the job's JSON-decoded result or the error.
        progress: Receives (stage, fraction).
        convert: Applied to the decoded result on the worker thread (e.g. building a
            Project from its document), so the GUI thread gets it ready to use.
    """
    payload = json.dumps(kwargs)

    def supervise(task: Task):
        worker = _acquire()
        healthy = False
        try:
            result = worker.run(name, job, payload, task)
            healthy = True
        except BaseException as exc:
            from scorer.errors import ScorerError

            # a job that failed cleanly leaves a usable worker; a dead one does not
            healthy = isinstance(exc, ScorerError) and worker.alive() and \
                "stopped unexpectedly" not in str(exc)
            raise
        finally:
            _release(worker, healthy)
        return convert(result) if convert is not None else result

    return run_task(name, supervise, callback, progress)
