"""A ceiling on live streams, checked before a stream starts so an overload is a 503, not a hang."""

from __future__ import annotations


class StreamSlots:
    """Counts live streams. The event loop is single-threaded, so no lock is needed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.live = 0

    def try_acquire(self) -> bool:
        if self.live >= self.limit:
            return False
        self.live += 1
        return True

    def release(self) -> None:
        self.live -= 1
