"""Database helpers shared by the parts that talk to PostgreSQL."""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A pooled connection and a plain one offer the same API.
    Conn: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]


class ServicePool(asyncpg.Pool):
    """asyncpg's pool, knowing when a connection last came back to it.

    A request waiting for a connection gives up only after that long with none coming back
    (`acquire_while_moving`): a pool whose connections keep cycling is busy, not stuck, and its
    queue is first come, first served, so every waiter gets its turn. Under overload, with the
    event loop seconds behind, a fixed deadline failed requests that were next in line.
    """

    last_release = -math.inf  # event-loop time

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        try:
            await super().release(connection, timeout=timeout)
        finally:
            self.last_release = asyncio.get_running_loop().time()

    async def acquire_while_moving(self, patience: float) -> PoolConnectionProxy[asyncpg.Record]:
        """A connection; TimeoutError once `patience` seconds passed in which the wait began or
        a connection came back, and none came since."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(None) as deadline:
            watch: asyncio.TimerHandle

            def check() -> None:
                nonlocal watch
                resume = self.last_release + patience
                if resume > loop.time():
                    watch = loop.call_at(resume, check)
                else:
                    deadline.reschedule(loop.time())

            watch = loop.call_at(loop.time() + patience, check)
            try:
                conn: PoolConnectionProxy[asyncpg.Record] = await self.acquire()
                return conn
            finally:
                watch.cancel()


def create_pool(dsn: str, **options: Any) -> ServicePool:
    """`asyncpg.create_pool` with the same options and defaults, making a ServicePool."""
    defaults: dict[str, Any] = {
        "min_size": 10,
        "max_size": 10,
        "max_queries": 50000,
        "max_inactive_connection_lifetime": 300.0,
        "connect": None,
        "setup": None,
        "init": None,
        "reset": None,
        "loop": None,
        "connection_class": asyncpg.Connection,
        "record_class": asyncpg.Record,
    }
    return ServicePool(dsn, **{**defaults, **options})
