"""How live answers hear that the server is shutting down.

One `ShutdownSignal` per answer, handed out by the server's `Drain`. When the server begins to
shut down (`cli/server.py`), the drain sets every signal at once: `set()` also wakes the model
read the answer is waiting on, so it ends now with `error: shutting_down` and `done` (a tool
error over MCP) instead of a bare cancellation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
        """What to call on `set()` while the answer waits; None when it no longer waits."""
        self._wake = wake


class Drain:
    """The signals of the answers in flight. Used on the event loop only."""

    def __init__(self) -> None:
        self._live: set[ShutdownSignal] = set()
        self._begun = False

    @contextmanager
    def signal(self) -> Iterator[ShutdownSignal]:
        """The signal of one answer, for as long as it runs; born set once the drain began, so
        an answer that starts during the shutdown ends at its first model read."""
        signal = ShutdownSignal()
        if self._begun:
            signal.set()
        self._live.add(signal)
        try:
            yield signal
        finally:
            self._live.discard(signal)

    def begin(self) -> None:
        self._begun = True
        for signal in list(self._live):
            signal.set()
