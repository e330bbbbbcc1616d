"""Verified question→SQL pairs, kept in PostgreSQL in the service's own `txt2sql` schema."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import asyncpg
from pydantic import BaseModel

from txt2sql_api.introspect import SERVICE_SCHEMA

if TYPE_CHECKING:
    from txt2sql_api.db import Conn

ExampleSource = Literal["seed", "api", "feedback"]

# Why the advisory lock: `CREATE ... IF NOT EXISTS` is not safe against a concurrent twin, and
# several instances may start at once against one database.
_DDL = f"""
SELECT pg_advisory_xact_lock(hashtext('{SERVICE_SCHEMA}.ddl'));
CREATE SCHEMA IF NOT EXISTS {SERVICE_SCHEMA};
CREATE TABLE IF NOT EXISTS {SERVICE_SCHEMA}.examples (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question text NOT NULL CHECK (btrim(question) <> ''),
    sql text NOT NULL CHECK (btrim(sql) <> ''),
    note text,
    source text NOT NULL DEFAULT 'api' CHECK (source IN ('seed', 'api', 'feedback')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS examples_question_key ON {SERVICE_SCHEMA}.examples (question);
"""

_COLUMNS = "id, question, sql, note, source, created_at, updated_at"


class Example(BaseModel):
    id: int
    question: str
    sql: str
    note: str | None = None
    source: ExampleSource
    created_at: datetime
    updated_at: datetime


async def ensure_schema(conn: Conn) -> None:
    async with conn.transaction():
        await conn.execute(_DDL)


class ExamplesStore:
    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self._schema_ready = False

    async def _ensure(self, conn: Conn) -> None:
        if not self._schema_ready:
            await ensure_schema(conn)
            self._schema_ready = True

    async def add(
        self, question: str, sql: str, *, source: ExampleSource = "api", note: str | None = None
    ) -> Example:
        """Stores a pair; asking the same question again replaces its SQL."""
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            await self._ensure(conn)
            row = await conn.fetchrow(
                f"""
                INSERT INTO {SERVICE_SCHEMA}.examples (question, sql, note, source)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (question) DO UPDATE
                SET sql = EXCLUDED.sql, note = EXCLUDED.note, source = EXCLUDED.source,
                    updated_at = now()
                RETURNING {_COLUMNS}
                """,
                question,
                sql,
                note,
                source,
            )
        assert row is not None  # INSERT ... RETURNING always returns the row
        return Example(**dict(row))

    async def list(self, *, limit: int | None = None, offset: int = 0) -> list[Example]:
        async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
            await self._ensure(conn)
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM {SERVICE_SCHEMA}.examples ORDER BY id LIMIT $1 OFFSET $2",
                limit,
                offset,
            )
        return [Example(**dict(row)) for row in rows]


async def seed_examples(conn: Conn, pairs: Iterable[tuple[str, str]]) -> int:
    """Loads bundled pairs; a question already stored keeps what users taught it."""
    await ensure_schema(conn)
    await conn.executemany(
        f"""
        INSERT INTO {SERVICE_SCHEMA}.examples (question, sql, source) VALUES ($1, $2, 'seed')
        ON CONFLICT (question) DO NOTHING
        """,
        list(pairs),
    )
    count: int = await conn.fetchval(f"SELECT count(*) FROM {SERVICE_SCHEMA}.examples")
    return count
