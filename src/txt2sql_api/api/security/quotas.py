"""Per-caller quotas: a request rate (token bucket) and a cap on live streams.

In-process by default. With Redis (TXT2SQL_REDIS_URL) every instance shares the same counters,
each check one atomic Lua script timed by Redis's own clock, so instances need no synchronised
clocks. When Redis cannot be reached the check falls back to this process's counters: a Redis
outage weakens the limits to per-instance ones instead of refusing or waving through everyone.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

# A live stream renews its lease every third of this: the lease only decides how soon the slots
# of an instance that died while streaming come back.
STREAM_LEASE_SECONDS = 60.0
# Past this many callers, the in-process buckets that have refilled are forgotten.
_LOCAL_BUCKETS_KEPT = 10_000

_TAKE_LUA = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'stamp', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""

_ACQUIRE_LUA = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 1)
return 1
"""


# Renews a lease that is still held; one that lapsed (Redis was away) is not brought back.
_RENEW_LUA = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return renewed
"""


@dataclass(frozen=True)
class Lease:
    """One live stream's slot; `shared` when it is held in Redis."""

    caller: str
    lease_id: str
    shared: bool


@dataclass
class LocalQuotas:
    rate_per_second: float
    burst: int
    max_streams: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _streams: dict[str, set[str]] = field(default_factory=dict)

    def take(self, caller: str) -> float:
        """Takes one request from the caller's bucket: 0, or the seconds until one is there."""
        now = self.clock()
        tokens, stamp = self._buckets.get(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate_per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate_per_second
        self._buckets[caller] = (tokens, now)
        if len(self._buckets) > _LOCAL_BUCKETS_KEPT:
            self._forget_full(now)
        return wait

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate_per_second
        self._buckets = {c: b for c, b in self._buckets.items() if now - b[1] < refill}

    def acquire(self, caller: str) -> Lease | None:
        held = self._streams.setdefault(caller, set())
        if len(held) >= self.max_streams:
            return None
        lease = Lease(caller, uuid.uuid4().hex, shared=False)
        held.add(lease.lease_id)
        return lease

    def release(self, lease: Lease) -> None:
        held = self._streams.get(lease.caller, set())
        held.discard(lease.lease_id)
        if not held:
            self._streams.pop(lease.caller, None)

    def live(self, caller: str) -> int:
        return len(self._streams.get(caller, ()))


class SharedCounters(Protocol):
    """Counters several processes share: Redis (every instance), or a file of the host's
    (`HostCounters`: the workers of one `serve --workers N`)."""

    # What a failure to reach them raises: the caller falls back to its own counters.
    failures: tuple[type[Exception], ...]

    async def take(self, key: str, rate_per_second: float, burst: int) -> float: ...

    async def acquire(self, key: str, cap: int, lease_id: str, lease_seconds: float) -> bool: ...

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> None: ...

    async def release(self, key: str, lease_id: str) -> None: ...


class RedisCounters:
    def __init__(self, redis: Redis) -> None:
        from redis.exceptions import RedisError

        self.failures: tuple[type[Exception], ...] = (RedisError, OSError)
        self._redis = redis
        self._take: Any = redis.register_script(_TAKE_LUA)
        self._acquire: Any = redis.register_script(_ACQUIRE_LUA)
        self._renew: Any = redis.register_script(_RENEW_LUA)

    async def take(self, key: str, rate_per_second: float, burst: int) -> float:
        return float(await self._take(keys=[key], args=[rate_per_second, burst]))

    async def acquire(self, key: str, cap: int, lease_id: str, lease_seconds: float) -> bool:
        return bool(await self._acquire(keys=[key], args=[cap, lease_id, lease_seconds]))

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> None:
        await self._renew(keys=[key], args=[lease_id, lease_seconds])

    async def release(self, key: str, lease_id: str) -> None:
        await self._redis.zrem(key, lease_id)


class Quotas:
    """The quotas the service enforces: in shared counters when there are some (Redis, or the
    host's for workers), else in process. `host_streams`: the host's cap on live streams, held
    in the shared counters too (the workers of one host share it), else None."""

    def __init__(
        self,
        local: LocalQuotas,
        shared: SharedCounters | None = None,
        prefix: str = "",
        lease_seconds: float = STREAM_LEASE_SECONDS,
        host: str = "",
    ) -> None:
        self.local = local
        self._shared = shared
        self._prefix = prefix
        self.lease_seconds = lease_seconds
        self._host = host

    async def take(self, caller: str) -> float:
        if self._shared is not None:
            try:
                key = f"{self._prefix}rate:{caller}"
                return await self._shared.take(key, self.local.rate_per_second, self.local.burst)
            except self._shared.failures as exc:
                _shared_failed(exc)
        return self.local.take(caller)

    async def acquire(self, caller: str) -> Lease | None:
        if self._shared is not None:
            try:
                return await self._acquire_shared(caller, self.local.max_streams)
            except self._shared.failures as exc:
                _shared_failed(exc)
        return self.local.acquire(caller)

    @property
    def shares_host(self) -> bool:
        """Whether the host's live streams are counted in the shared counters (the workers of
        one host), rather than by each process alone."""
        return self._shared is not None and bool(self._host)

    async def acquire_host(self, cap: int) -> Lease | None:
        """A slot under the host's cap (`shares_host`). When the counters cannot be reached,
        a local lease: each worker's own count still caps it."""
        assert self._shared is not None
        try:
            return await self._acquire_shared(f"host:{self._host}", cap)
        except self._shared.failures as exc:
            _shared_failed(exc)
            return Lease(f"host:{self._host}", uuid.uuid4().hex, shared=False)

    async def _acquire_shared(self, caller: str, cap: int) -> Lease | None:
        assert self._shared is not None
        lease = Lease(caller, uuid.uuid4().hex, shared=True)
        key = self._streams_key(caller)
        granted = await self._shared.acquire(key, cap, lease.lease_id, self.lease_seconds)
        return lease if granted else None

    def renewal(self, lease: Lease) -> asyncio.Task[None] | None:
        """A task renewing a shared lease until it is cancelled, so that a stream longer than
        the lease keeps its slot; None for a local lease, which needs nothing."""
        return asyncio.create_task(self._keep(lease)) if lease.shared else None

    async def _keep(self, lease: Lease) -> None:
        assert self._shared is not None  # a shared lease only comes from shared counters
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                key = self._streams_key(lease.caller)
                await self._shared.renew(key, lease.lease_id, self.lease_seconds)
            except self._shared.failures as exc:
                _shared_failed(exc)

    async def release(self, lease: Lease) -> None:
        if not lease.shared:
            self.local.release(lease)
            return
        assert self._shared is not None
        try:
            await self._shared.release(self._streams_key(lease.caller), lease.lease_id)
        except self._shared.failures as exc:
            # The lease runs out by itself (lease_seconds).
            _shared_failed(exc)

    def _streams_key(self, caller: str) -> str:
        return f"{self._prefix}streams:{caller}"


def _shared_failed(exc: Exception) -> None:
    logger.warning(
        "shared quota counters unavailable, quotas are per instance for now: %s",
        type(exc).__name__,
    )
