"""Running model-written SQL that passed the guard, with limits the database enforces itself.

Every statement runs as a prepared statement (the extended protocol refuses a second statement
riding along, which `BEGIN READ ONLY` alone does not: `SELECT 1; COMMIT; DROP ...`), inside a
READ ONLY transaction with `SET LOCAL statement_timeout`, and is read through a cursor so a huge
result costs no more memory than the row cap. The service's role should still only hold SELECT
(README: read-only role): READ ONLY is not a security boundary, privileges are.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from txt2sql_api.events import ResultColumn, RowsEvent
from txt2sql_api.json_values import json_safe

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from txt2sql_api.db import Conn, ServicePool


# How often a running query's backend checks that its client is still there (PostgreSQL 14+).
CLIENT_CHECK_MS = 500


@dataclass(frozen=True)
class QueryLimits:
    statement_timeout_seconds: float
    max_rows: int
    max_bytes: int
    batch_rows: int
    acquire_timeout_seconds: float


class DatabaseBusy(TimeoutError):
    """The pool had all its connections open and none came back for the acquire timeout: the
    database answers, but every connection is held by work that does not end."""

    def __init__(self, connections: int, seconds: float) -> None:
        super().__init__(
            f"no database connection came free for {seconds:g} s (all {connections} in use): "
            "too many long questions at once, retry shortly"
        )


class QueryFailed(Exception):
    """The database refused or stopped the SQL; `repairable` when the model could fix it."""

    def __init__(self, code: str, message: str, *, repairable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.repairable = repairable


def _failure(exc: asyncpg.PostgresError) -> QueryFailed:
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
async def read_only(pool: ServicePool, limits: QueryLimits) -> AsyncIterator[Conn]:
    conn = await _acquire(pool, limits)
    try:
        # Constant text of our own, so the simple protocol's several statements are safe here.
        await conn.execute(_begin_sql(conn, limits))
        closed = False
        try:
            yield conn
        except asyncio.CancelledError:
            # The reader went away mid-query. asyncpg sends a cancel request, but one that
            # reaches the server between two protocol messages is ignored, and a ROLLBACK would
            # then wait for the query to end. Closing the connection never waits; the server
            # drops the query when it next checks its client (client_connection_check_interval).
            closed = True
            conn.terminate()
            raise
        finally:
            if not closed:
                await conn.execute("ROLLBACK")  # read-only: there is nothing to commit
    finally:
        await pool.release(conn)


def _begin_sql(conn: Conn, limits: QueryLimits) -> str:
    """One round trip: the transaction and its limits (every generated query pays for it)."""
    timeout_ms = max(1, int(limits.statement_timeout_seconds * 1000))
    sql = f"BEGIN READ ONLY; SET LOCAL statement_timeout = {timeout_ms};"
    if conn.get_server_version().major >= 14:
        sql += f" SET LOCAL client_connection_check_interval = {CLIENT_CHECK_MS};"
    return sql


async def explain(pool: ServicePool, sql: str, limits: QueryLimits) -> None:
    """Plans the SQL without running it; raises QueryFailed with the database's reason."""
    async with read_only(pool, limits) as conn:
        try:
            statement = await conn.prepare(f"EXPLAIN {sql}")
            await statement.fetch()
        except asyncpg.PostgresError as exc:
            raise _failure(exc) from exc


async def run_query(pool: ServicePool, sql: str, limits: QueryLimits) -> AsyncIterator[RowsEvent]:
    """Streams the result in batches; the last event is `final`. Cancelling the consumer
    cancels the query in the server (asyncpg sends a cancel request) and rolls back."""
    async with read_only(pool, limits) as conn:
        try:
            statement = await conn.prepare(sql)
            columns = [
                ResultColumn(name=attribute.name, type=attribute.type.name)
                for attribute in statement.get_attributes()
            ]
            first = True
            async for event in _batches(statement.cursor(prefetch=limits.batch_rows), limits):
                if first:
                    event.columns, first = columns, False
                yield event
        except asyncpg.PostgresError as exc:
            raise _failure(exc) from exc


async def _batches(
    records: AsyncIterable[asyncpg.Record], limits: QueryLimits
) -> AsyncIterator[RowsEvent]:
    batch: list[list[object]] = []
    sent = size = 0
    truncated = False
    async for record in records:
        row = [json_safe(value) for value in record.values()]
        size += len(json.dumps(row, ensure_ascii=False))
        if sent + len(batch) >= limits.max_rows or size > limits.max_bytes:
            truncated = True
            break
        batch.append(row)
        if len(batch) == limits.batch_rows:
            sent += len(batch)
            yield RowsEvent(rows=batch, row_count=sent)
            batch = []
    yield RowsEvent(rows=batch, row_count=sent + len(batch), final=True, truncated=truncated)


_WRITABLE_SQL = """
SELECT n.nspname || '.' || c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
ORDER BY 1
"""


async def writable_tables(conn: Conn, schemas: Sequence[str]) -> list[str]:
    """Tables the service's role could change: it should have none (SELECT only)."""
    return [row[0] for row in await conn.fetch(_WRITABLE_SQL, list(schemas))]
