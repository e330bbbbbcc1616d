"""Every ceiling a stream passes before it starts, taken and given back in one place.

Checked once the question is known to be valid (a 422 or 403 comes first), in this order: the
host's live streams (`TXT2SQL_MAX_STREAMS`, a 503: the server is full) and then the caller's
(`TXT2SQL_MAX_STREAMS_PER_KEY`, a 429: this key is). An overload is a refusal, never a hang.
"""

from __future__ import annotations

import asyncio

import anyio
from fastapi import status

from txt2sql_api.api.errors import Refusal
from txt2sql_api.api.security.quotas import Lease, Quotas
from txt2sql_api.observability.metrics import Metrics

# Seconds a client is told to wait when a ceiling is reached: streams end on their own time, so
# this is a polite retry interval, not a promise.
RETRY_SECONDS = 1


class Ticket:
    """A stream's place under both ceilings, given back once, whichever of the stream or the
    response ends first."""

    def __init__(self, admission: Admission, lease: Lease) -> None:
        self._admission = admission
        self._lease = lease
        self._renewing: asyncio.Task[None] | None = admission.quotas.renewal(lease)
        self._held = True

    async def release(self) -> None:
        if not self._held:
            return
        self._held = False
        if self._renewing is not None:
            self._renewing.cancel()
        self._admission.live -= 1
        # Shielded: a stream that ends by cancellation (client gone, shutdown) must still give
        # its slot back; bounded, so an unreachable Redis cannot hold the request open.
        with anyio.CancelScope(shield=True), anyio.move_on_after(5):
            await self._admission.quotas.release(self._lease)


class Admission:
    def __init__(self, max_streams: int, quotas: Quotas, metrics: Metrics) -> None:
        self.max_streams = max_streams
        self.quotas = quotas
        self.metrics = metrics
        # The event loop is single-threaded: no lock is needed.
        self.live = 0

    async def admit(self, caller: str) -> Ticket:
        if self.live >= self.max_streams:
            raise Refusal(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "server_busy",
                "too many live streams, retry shortly",
                retryable=True,
                headers={"Retry-After": str(RETRY_SECONDS)},
            )
        self.live += 1
        lease = None
        try:
            lease = await self.quotas.acquire(caller)
        finally:
            if lease is None:  # refused, or the wait was cancelled: the host slot goes back
                self.live -= 1
        if lease is None:
            self.metrics.refused.labels("streams_limited").inc()
            raise Refusal(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "streams_limited",
                "too many live streams for this key",
                retryable=True,
                headers={"Retry-After": str(RETRY_SECONDS)},
            )
        return Ticket(self, lease)
