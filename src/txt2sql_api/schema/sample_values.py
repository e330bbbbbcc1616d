"""Distinct values of low-cardinality text columns, so a question's "沈塘桥" or "金卡" can be
matched to the column that holds it.

`pg_stats.most_common_vals` is read first: where ANALYZE has run and the list holds every value,
no table is touched. Other columns are read from a bounded prefix of their table, one statement
per table, each in a READ ONLY transaction under its own statement timeout, and all of it under
a total deadline, so a huge or locked table never stalls loading the schema.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

from txt2sql_api.config import Settings
from txt2sql_api.db.identifiers import quote_ident
from txt2sql_api.schema.introspect import Column, Table
from txt2sql_api.schema.value_index import MAX_VALUE_CHARS

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn

logger = logging.getLogger(__name__)

# The first read of a table costs its catalog cache entry in the server: two backends, two cores.
READERS = 2
_TEXT_TYPES = frozenset({"text", "character varying", "character", "citext"})

_STATS_SQL = """
SELECT s.schemaname, s.tablename, s.attname, s.n_distinct,
       s.most_common_vals::text::text[] AS mcv
FROM pg_stats s
WHERE s.schemaname = ANY($1::text[]) AND NOT s.inherited
"""


@dataclass(frozen=True)
class SampleLimits:
    max_distinct: int
    rows_scanned: int
    statement_timeout_seconds: float
    total_seconds: float
    acquire_timeout_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SampleLimits:
        return cls(
            max_distinct=settings.sample_max_distinct,
            rows_scanned=settings.sample_rows,
            statement_timeout_seconds=settings.sample_statement_timeout_seconds,
            total_seconds=settings.sample_total_seconds,
            acquire_timeout_seconds=settings.db_acquire_timeout_seconds,
        )


_Read = tuple[Table, list[Column]]


@dataclass(frozen=True)
class _Stats:
    n_distinct: float
    mcv: list[str] | None


def _wanted(column: Column) -> bool:
    # Enum and CHECK values are already the whole domain.
    base = column.type.split("(")[0]
    return base in _TEXT_TYPES and not column.enum_values and not column.check_values


async def fill_samples(pool: asyncpg.Pool, tables: Sequence[Table], limits: SampleLimits) -> None:
    """Sets `sample_values` on the low-cardinality text columns of `tables`."""
    deadline = time.monotonic() + limits.total_seconds
    schemas = sorted({t.schema_name for t in tables})
    async with pool.acquire(timeout=limits.acquire_timeout_seconds) as conn:
        rows = await conn.fetch(_STATS_SQL, schemas)
    stats = {
        (r["schemaname"], r["tablename"], r["attname"]): _Stats(r["n_distinct"], r["mcv"])
        for r in rows
    }
    reads = iter(
        [
            (table, unread)
            for table in tables
            if table.kind in ("table", "materialized_view") and table.has_data
            if (
                unread := [
                    c for c in table.columns if _wanted(c) and _needs_read(c, table, stats, limits)
                ]
            )
        ]
    )
    readers = min(READERS, pool.get_max_size())
    await asyncio.gather(*(_read_some(pool, reads, limits, deadline) for _ in range(readers)))


async def _read_some(
    pool: asyncpg.Pool, reads: Iterator[_Read], limits: SampleLimits, deadline: float
) -> None:
    """Takes reads from the shared iterator until there are none left or time is up."""
    try:
        conn = await pool.acquire(timeout=limits.acquire_timeout_seconds)
    except TimeoutError:
        logger.info("sample values: no free connection for one more reader")
        return
    try:
        for table, columns in reads:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                logger.info("sample values: time is up before %s", table.qualified_name)
                return
            await _read(conn, table, columns, limits, remaining)
    finally:
        await pool.release(conn)


def _needs_read(
    column: Column,
    table: Table,
    all_stats: dict[tuple[str, str, str], _Stats],
    limits: SampleLimits,
) -> bool:
    """Fills the column from the planner's statistics when they are enough; True when the table
    itself must be read."""
    stats = all_stats.get((table.schema_name, table.name, column.name))
    if stats is None:
        return True
    distinct = stats.n_distinct
    if distinct < 0:  # a fraction of the rows
        distinct = -distinct * (table.row_estimate or 0)
    if distinct == 0 or distinct > limits.max_distinct:
        return False
    if stats.mcv is not None and len(stats.mcv) >= distinct:
        column.sample_values = _short(stats.mcv)
        return False
    return True


def _short(values: Sequence[str]) -> list[str]:
    return sorted(v for v in values if len(v) <= MAX_VALUE_CHARS)


def _sample_sql(table: Table, columns: Sequence[Column], limits: SampleLimits) -> str:
    names = [quote_ident(c.name) for c in columns]
    arrays = ", ".join(
        f"ARRAY(SELECT DISTINCT {n}::text FROM s WHERE {n} IS NOT NULL "
        f"AND length({n}::text) <= {MAX_VALUE_CHARS} LIMIT {limits.max_distinct + 1})"
        for n in names
    )
    source = f"{quote_ident(table.schema_name)}.{quote_ident(table.name)}"
    return (
        f"WITH s AS MATERIALIZED (SELECT {', '.join(names)} FROM {source} "
        f"LIMIT {limits.rows_scanned}) SELECT {arrays}"
    )


async def _read(
    conn: Conn, table: Table, columns: Sequence[Column], limits: SampleLimits, remaining: float
) -> None:
    timeout_ms = max(1, int(min(limits.statement_timeout_seconds, remaining) * 1000))
    try:
        async with conn.transaction(readonly=True):
            await conn.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            row = await conn.fetchrow(_sample_sql(table, columns, limits))
    except (asyncpg.QueryCanceledError, asyncpg.InsufficientPrivilegeError) as exc:
        logger.info("sample values of %s skipped: %s", table.qualified_name, exc)
        return
    assert row is not None  # a SELECT of arrays always returns one row
    for column, values in zip(columns, row, strict=True):
        # More distinct values than the bound: not a low-cardinality column.
        if len(values) <= limits.max_distinct:
            column.sample_values = list(values)
