"""Waiting for a thing instead of sleeping: a condition polled until it holds or a deadline
passes, then a failure that says what did not happen."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

# Short enough that a test waits little past the moment; long enough not to spin.
POLL_SECONDS = 0.01


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], what: str, within: float = 10.0
) -> None:
    """Awaits until `condition()` (a function or a coroutine function) is true."""
    deadline = time.monotonic() + within
    while True:
        held = condition()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        await asyncio.sleep(POLL_SECONDS)


def eventually_sync(condition: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """The same, for a test that blocks (a real server, threads)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {what}")
        time.sleep(POLL_SECONDS)
