"""The read-only transaction every piece of generated SQL runs in, EXPLAIN included.

Every statement runs as a prepared statement (the extended protocol refuses a second statement
riding along, which `BEGIN READ ONLY` alone does not: `SELECT 1; COMMIT; DROP ...`), inside a
READ ONLY transaction with `SET LOCAL statement_timeout`. The service's role should still only
hold SELECT (docs/security.md): READ ONLY is not a security boundary, privileges are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from txt2sql_api.config import Settings
from txt2sql_api.db.identifiers import quote_ident
from txt2sql_api.db.meta_schema import visible_schemas
from txt2sql_api.db.pool import DatabaseBusy
from txt2sql_api.errors import ServiceError

logger = logging.getLogger(__name__)

T = TypeVar("T")

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn, ServicePool


# How often a running query's backend checks that its client is still there (PostgreSQL 14+).
CLIENT_CHECK_MS = 500


@dataclass(frozen=True)
class QueryLimits:
    statement_timeout_seconds: float
    max_rows: int
    max_bytes: int
    batch_rows: int
    acquire_timeout_seconds: float
    # Where bare names resolve: pg_catalog first (built-ins are never shadowed), then the
    # shown schemas in their configured order, as the guard resolves them.
    search_path: tuple[str, ...] = ()
    max_sql_chars: int = 20_000

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            statement_timeout_seconds=settings.statement_timeout_seconds,
            max_rows=settings.max_rows,
            max_bytes=settings.max_result_bytes,
            batch_rows=settings.rows_batch,
            acquire_timeout_seconds=settings.db_acquire_timeout_seconds,
            search_path=tuple(visible_schemas(settings.schemas)),
            max_sql_chars=settings.max_sql_chars,
        )


class QueryFailed(ServiceError):
    """The database refused or stopped the SQL; `repairable` when the model could fix it."""

    def __init__(self, code: str, message: str, *, repairable: bool) -> None:
        super().__init__(code, message, retryable=repairable)
        self.repairable = repairable


class DeadlinePassed(QueryFailed):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            "query_timeout",
            f"the query took longer than {seconds:g} s (EXPLAIN and rows together)",
            repairable=False,
        )


class Deadline:
    """One limit for all of a generated query's work, from the start of its EXPLAIN to its
    last row. The database's statement_timeout restarts with every statement and every cursor
    fetch, so the service keeps its own clock and stops the query when it runs out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._loop = asyncio.get_running_loop()
        self._at = self._loop.time() + seconds

    def remaining(self) -> float:
        return max(self._at - self._loop.time(), 0.0)

    async def within(self, awaitable: Awaitable[T]) -> T:
        """`awaitable`, cancelled when the deadline passes (then DeadlinePassed)."""
        try:
            async with asyncio.timeout_at(self._at):
                return await awaitable
        except TimeoutError:
            raise DeadlinePassed(self.seconds) from None


def failure_of(exc: asyncpg.PostgresError) -> QueryFailed:
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, asyncpg.QueryCanceledError):
        return QueryFailed("query_timeout", message, repairable=False)
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError | asyncpg.InsufficientPrivilegeError):
        return QueryFailed("query_refused", message, repairable=False)
    return QueryFailed("query_failed", message, repairable=True)


async def _acquire(pool: ServicePool, limits: QueryLimits) -> PoolConnectionProxy:
    """A pooled connection, waited for while the pool's connections keep coming back;
    DatabaseBusy when all were open and none came back for the acquire timeout, a bare
    TimeoutError when one could not be opened (the database is away)."""
    try:
        return await pool.acquire_while_moving(limits.acquire_timeout_seconds)
    except TimeoutError:
        if pool.get_idle_size() > 0:
            # A connection came free as the deadline passed, and an event loop that is behind
            # ran the deadline first: the wait was long enough, take the connection.
            with contextlib.suppress(TimeoutError):
                conn = await pool.acquire(timeout=min(limits.acquire_timeout_seconds, 1.0))
                return conn
        size, idle, most = pool.get_size(), pool.get_idle_size(), pool.get_max_size()
        logger.warning(
            "no pooled connection within %g s: %d of %d open, %d idle",
            limits.acquire_timeout_seconds,
            size,
            most,
            idle,
        )
        if size >= most:
            raise DatabaseBusy(most, limits.acquire_timeout_seconds) from None
        raise


@asynccontextmanager
async def read_only(
    pool: ServicePool, limits: QueryLimits, deadline: Deadline | None = None
) -> AsyncIterator[Conn]:
    deadline = deadline or Deadline(limits.statement_timeout_seconds)
    conn = await _acquire(pool, limits)
    try:
        # Constant text of our own, so the simple protocol's several statements are safe here.
        await conn.execute(_begin_sql(conn, limits, deadline))
        closed = False
        try:
            yield conn
        except (asyncio.CancelledError, DeadlinePassed):
            # The reader went away mid-query, or the deadline passed. asyncpg sends a cancel
            # request, but one that reaches the server between two protocol messages is
            # ignored, and a ROLLBACK would then wait for the query to end. Closing the
            # connection never waits; the server drops the query when it next checks its
            # client (client_connection_check_interval).
            closed = True
            conn.terminate()
            raise
        finally:
            if not closed:
                await conn.execute("ROLLBACK")  # read-only: there is nothing to commit
    finally:
        await pool.release(conn)


def _begin_sql(conn: Conn, limits: QueryLimits, deadline: Deadline) -> str:
    """One round trip: the transaction and its limits (every generated query pays for it)."""
    timeout_ms = max(1, int(deadline.remaining() * 1000))
    sql = f"BEGIN READ ONLY; SET LOCAL statement_timeout = {timeout_ms};"
    sql += f" SET LOCAL idle_in_transaction_session_timeout = {timeout_ms + 5000};"
    if limits.search_path:
        path = ", ".join(quote_ident(schema) for schema in limits.search_path)
        sql += f" SET LOCAL search_path = pg_catalog, {path};"
    if conn.get_server_version().major >= 14:
        sql += f" SET LOCAL client_connection_check_interval = {CLIENT_CHECK_MS};"
    return sql
