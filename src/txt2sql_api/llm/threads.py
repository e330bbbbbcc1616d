"""Threads for blocking upstream reads: one per live call, never a small shared pool.

Why threads are reused: `Thread.start()` blocks its caller until the new thread has run, and
under load (hundreds of threads wanting the GIL) that stalls the event loop for milliseconds per
stream. A thread whose call has ended waits `idle_seconds` for the next call, then exits, so a
burst's threads do not outlive it. When no thread is idle, a new one is started by a spawner
thread, never by the event loop; a call never waits for another call to end.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

Job = Callable[[], None]
T = TypeVar("T")


class StreamThreads:
    def __init__(self, *, name: str, idle_seconds: float) -> None:
        self.name = name
        self.idle_seconds = idle_seconds
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._spawns: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Never more than the threads really waiting for a job (it may be fewer, which only
        # costs an extra thread), so a job submitted while `_idle > 0` is always taken.
        self._idle = 0
        self._busy = 0
        self._alive = 0
        self._spawner: threading.Thread | None = None

    @property
    def busy(self) -> int:
        """Calls running now."""
        return self._busy

    @property
    def alive(self) -> int:
        """Threads alive now, the spawner included: busy, idle, or exiting."""
        return self._alive

    def submit(self, job: Job) -> None:
        self._jobs.put(job)
        with self._lock:
            if self._idle:
                self._idle -= 1
                return
            # Under the lock, so an idle spawner cannot exit between this check and the put.
            self._spawns.put(None)
            if self._spawner is None:
                self._alive += 1
                self._spawner = threading.Thread(
                    target=self._spawn_while_needed, name=f"{self.name}-spawner", daemon=True
                )
                self._spawner.start()

    def _spawn_while_needed(self) -> None:
        self._until_idle(self._spawns, self._spawn, self._spawner_leaves)

    def _spawn(self, _: None) -> None:
        with self._lock:
            self._alive += 1
        threading.Thread(target=self._work, name=self.name, daemon=True).start()

    def _spawner_leaves(self) -> None:
        self._spawner = None
        self._alive -= 1

    def _work(self) -> None:
        self._until_idle(self._jobs, self._run, self._worker_leaves)

    def _run(self, job: Job) -> None:
        with self._lock:
            self._busy += 1
        try:
            job()
        except Exception:  # the thread must live on: it is counted as idle next
            logger.exception("a stream thread's job failed")
        finally:
            with self._lock:
                self._busy -= 1
                self._idle += 1

    def _worker_leaves(self) -> None:
        self._idle = max(0, self._idle - 1)
        self._alive -= 1

    def _until_idle(
        self, items: queue.SimpleQueue[T], handle: Callable[[T], None], leave: Callable[[], None]
    ) -> None:
        """Handles items until none has come for `idle_seconds`, then leaves (under the lock,
        and only if none has arrived meanwhile, so a submitted item is never stranded)."""
        while True:
            try:
                item = items.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if items.empty():
                        leave()
                        return
                continue
            handle(item)
