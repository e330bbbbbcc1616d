"""Threads for blocking upstream reads: one per live call, never a small shared pool.

Started with `_thread.start_new_thread`, not `threading.Thread.start()`: `start()` waits until
the new thread has run, and under load (hundreds of threads wanting the GIL) each such wait
is a switch interval or more, so a burst of a hundred streams spent half a second just
starting their threads one after another. `start_new_thread` returns once the OS thread
exists, so the event loop starts them itself, at once. A thread whose call has ended waits
`idle_seconds` for the next call, then exits, so a burst's threads do not outlive it; a call
never waits for another call to end.
"""

from __future__ import annotations

import _thread
import logging
import queue
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

Job = Callable[[], None]


class StreamThreads:
    def __init__(self, *, name: str, idle_seconds: float) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Never more than the threads really waiting for a job (it may be fewer, which only
        # costs an extra thread), so a job submitted while `_idle > 0` is always taken.
        self._idle = 0
        self._busy = 0
        self._alive = 0

    @property
    def busy(self) -> int:
        """Calls running now."""
        return self._busy

    @property
    def alive(self) -> int:
        """Threads alive now: busy, idle, or exiting."""
        return self._alive

    def submit(self, job: Job) -> None:
        self._jobs.put(job)
        with self._lock:
            if self._idle:
                self._idle -= 1
                return
            self._alive += 1
        _thread.start_new_thread(self._work, ())

    def _work(self) -> None:
        """Runs jobs until none has come for `idle_seconds`, then leaves (under the lock, and
        only if none has arrived meanwhile, so a submitted job is never stranded)."""
        while True:
            try:
                job = self._jobs.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._idle = max(0, self._idle - 1)
                        self._alive -= 1
                        return
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        with self._lock:
            self._busy += 1
        try:
            job()
        except Exception:  # the thread must live on: it is counted as idle next
            logger.exception("a %s thread's job failed", self.name)
        finally:
            with self._lock:
                self._busy -= 1
                self._idle += 1
