"""The service's connection pool, and what its failures mean to a client."""

from __future__ import annotations

import asyncio
import math
import os
import socket
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from txt2sql_api.errors import ServiceError

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A pooled connection and a plain one offer the same API.
    Conn: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]


# What a database that is away (down, unreachable, refusing) raises; a route answers it with a
# 503 and a stream with a `database_unavailable` event.
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class DatabaseBusy(ServiceError, TimeoutError):
    """The pool had all its connections open and none came back for the acquire timeout: the
    database answers, but every connection is held by work that does not end."""

    def __init__(self, connections: int, seconds: float) -> None:
        super().__init__(
            "database_busy",
            f"no database connection came free for {seconds:g} s (all {connections} in use): "
            "too many long questions at once, retry shortly",
            retryable=True,
        )


def database_unavailable(exc: BaseException) -> ServiceError:
    """One of DATABASE_ERRORS, told without naming the server: its type, not its text."""
    if isinstance(exc, ServiceError):
        return exc
    return ServiceError(
        "database_unavailable",
        f"the database cannot be read right now: {type(exc).__name__}",
        retryable=True,
    )


def why_unavailable(exc: BaseException) -> str:
    """One of DATABASE_ERRORS in words: whether the server is away, refuses us, or lacks the
    database, and why. Like `database_unavailable`, it names no address: /readyz shows it."""
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return "missing: the server has no database of that name"
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return "refused: the server does not accept this user or password"
    if isinstance(exc, asyncpg.CannotConnectNowError):
        return "unavailable: the server is starting up or shutting down"
    if isinstance(exc, asyncpg.TooManyConnectionsError):
        return "unavailable: the server has no connection slot left"
    if isinstance(exc, socket.gaierror):
        return "unreachable: the server's host name does not resolve"
    if isinstance(exc, ConnectionRefusedError):
        return "unreachable: nothing accepts connections at the server's address"
    if isinstance(exc, TimeoutError):
        return "unreachable: the server did not answer in time"
    if isinstance(exc, OSError):
        # Never its own text: asyncio puts the address in it.
        return f"unreachable: {os.strerror(exc.errno) if exc.errno else type(exc).__name__}"
    return f"unavailable: {type(exc).__name__}"


class ServicePool(asyncpg.Pool):
    """asyncpg's pool, knowing when a connection last came back to it.

    A request waiting for a connection gives up only after that long with none coming back
    (`acquire_while_moving`): a pool whose connections keep cycling is busy, not stuck, and its
    queue is first come, first served, so every waiter gets its turn. Under overload, with the
    event loop seconds behind, a fixed deadline failed requests that were next in line.
    """

    last_release = -math.inf  # event-loop time

    # asyncpg's own signature, timeout included.
    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
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
