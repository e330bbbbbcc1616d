"""Work off the event loop: one background job at a time (a schema load, a re-index), shared by
whoever asks while it runs; short CPU work of a request (parsing SQL) on one thread; and
housekeeping that repeats (pruning old conversations)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Generic, ParamSpec, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")

# One thread: the work holds the GIL, so more threads would not make it faster, and asyncio's
# default executor grows to as many threads as the host has cores plus four, never to shrink.
_CPU = ThreadPoolExecutor(max_workers=1, thread_name_prefix="txt2sql-cpu")


async def off_loop(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`work(*args, **kwargs)` on the CPU thread, so the event loop keeps serving others."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_CPU, partial(work, *args, **kwargs))


class SingleFlight(Generic[T]):
    def __init__(self, what: str) -> None:
        self._what = what
        self._task: asyncio.Task[T] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, job: Callable[[], Coroutine[Any, Any, T]]) -> asyncio.Task[T]:
        """The running job's task, or a new one of `job` when none runs."""
        if self._task is None:
            self._task = asyncio.create_task(job())
            self._task.add_done_callback(self._finished)
        return self._task

    def _finished(self, task: asyncio.Task[T]) -> None:
        self._task = None
        if not task.cancelled() and task.exception() is not None:
            logger.warning("%s failed: %r", self._what, task.exception())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def every(seconds: float, work: Callable[[], Awaitable[object]], what: str) -> None:
    """Runs `work` every `seconds` until cancelled; a failure is logged and tried again next
    time (housekeeping never stops the service)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await work()
        except Exception:
            logger.warning("%s failed; trying again in %g s", what, seconds, exc_info=True)
