"""One background job at a time (a schema load, a re-index), shared by whoever asks while it
runs, logged if it fails, and cancelled and awaited when the lifespan ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


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
