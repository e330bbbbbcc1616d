"""How a live stream hears that the server is shutting down.

sse-starlette calls `set()` on a response's `shutdown_event` when uvicorn begins to shut down,
then gives the generator `shutdown_grace_period` seconds before cancelling it. One
`ShutdownSignal` per stream: its `set()` also wakes the model read the stream is waiting on, so
the stream ends at once with `error: shutting_down` and `done` instead of a bare cancellation.
"""

from __future__ import annotations

from collections.abc import Callable


class ShutdownSignal:
    def __init__(self) -> None:
        self._set = False
        self._wake: Callable[[], None] | None = None

    def set(self) -> None:
        self._set = True
        if self._wake is not None:
            self._wake()

    def is_set(self) -> bool:
        return self._set

    def wake_with(self, wake: Callable[[], None] | None) -> None:
        """What to call on `set()` while the stream waits; None when it no longer waits."""
        self._wake = wake
