"""Every ceiling a stream passes before it starts, taken and given back in one place.

Checked once the question is known to be valid (a 422 or 403 comes first), in this order: the
host's live streams (`TXT2SQL_MAX_STREAMS`, a 503: the server is full; counted across the
workers of `serve --workers N`) and then the caller's (`TXT2SQL_MAX_STREAMS_PER_KEY`, a 429:
this key is). An overload is a refusal, never a hang.
"""

from __future__ import annotations

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

    def __init__(self, admission: Admission, leases: list[Lease]) -> None:
        self._admission = admission
        self._leases = leases
        quotas = admission.quotas
        self._renewing = [task for lease in leases if (task := quotas.renewal(lease))]
        self._held = True

    async def release(self) -> None:
        if not self._held:
            return
        self._held = False
        for task in self._renewing:
            task.cancel()
        self._admission.live -= 1
        await _released(self._admission.quotas, self._leases)


class Admission:
    def __init__(self, max_streams: int, quotas: Quotas, metrics: Metrics) -> None:
        self.max_streams = max_streams
        self.quotas = quotas
        self.metrics = metrics
        # The event loop is single-threaded: no lock is needed.
        self.live = 0

    async def admit(self, caller: str) -> Ticket:
        if self.live >= self.max_streams:
            raise _host_full()
        self.live += 1
        leases: list[Lease] = []
        admitted = False
        try:
            # The workers of one host share its cap: it is held where they all see it.
            if self.quotas.shares_host:
                host = await self.quotas.acquire_host(self.max_streams)
                if host is None:
                    raise _host_full()
                leases.append(host)
            lease = await self.quotas.acquire(caller)
            if lease is None:
                self.metrics.refused.labels("streams_limited").inc()
                raise _retry_later(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    "streams_limited",
                    "too many live streams for this key",
                )
            leases.append(lease)
            admitted = True
        finally:
            if not admitted:  # refused, or the wait was cancelled: the slots go back
                self.live -= 1
                await _released(self.quotas, leases)
        return Ticket(self, leases)


def _host_full() -> Refusal:
    return _retry_later(
        status.HTTP_503_SERVICE_UNAVAILABLE, "server_busy", "too many live streams, retry shortly"
    )


def _retry_later(status_code: int, code: str, message: str) -> Refusal:
    """A ceiling reached: retryable, with the polite interval in `Retry-After`."""
    return Refusal(
        status_code, code, message, retryable=True, headers={"Retry-After": str(RETRY_SECONDS)}
    )


async def _released(quotas: Quotas, leases: list[Lease]) -> None:
    """Shielded: a stream that ends by cancellation (client gone, shutdown) must still give
    its slots back; bounded, so unreachable counters cannot hold the request open."""
    with anyio.CancelScope(shield=True), anyio.move_on_after(5):
        for lease in leases:
            await quotas.release(lease)
