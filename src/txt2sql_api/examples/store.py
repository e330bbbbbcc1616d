"""Verified question→SQL pairs, kept in PostgreSQL in the service's own `txt2sql` schema
(meta_schema.py), and the changes to them since a version, for instances that follow the store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

import asyncpg
from pydantic import BaseModel, Field, field_validator

from txt2sql_api.db.meta_schema import MetaTables, S, ensure_schema
from txt2sql_api.jsonl import Outcome
from txt2sql_api.text import StorableText

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn

ExampleSource = Literal["seed", "api", "feedback"]
MAX_TAGS = 20

_COLUMNS = "id, question, sql, note, tags, source, stale, created_at, updated_at"


class Example(BaseModel):
    id: int
    question: str
    sql: str
    note: str | None = None
    tags: list[str] = Field(default_factory=list)
    source: ExampleSource
    stale: str | None = Field(
        default=None,
        description="Why its SQL no longer checks against the schema, found when a question "
        "matched it (the model answered instead); cleared when the SQL is edited.",
    )
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Pair:
    """What a user teaches: a question and its SQL, with an optional note and tags."""

    question: str
    sql: str
    note: str | None = None
    tags: Sequence[str] = ()


@dataclass(frozen=True)
class Changes:
    """Examples added or edited and ids deleted after a version, up to `version`."""

    upserted: list[Example]
    deleted: list[int]
    version: int


def _trimmed(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class ExampleIn(BaseModel):
    """A pair as a user sends it (API body, a line of an import)."""

    question: StorableText = Field(pattern=r"\S", examples=["沈塘桥地铁站的信息"])
    sql: StorableText = Field(pattern=r"\S", examples=["SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'"])
    note: StorableText | None = Field(
        default=None, description="Why this pair is right, for people."
    )
    tags: list[Annotated[StorableText, Field(pattern=r"\S", max_length=100)]] = Field(
        default_factory=list, max_length=MAX_TAGS, examples=[["站点"]]
    )

    _strip = field_validator("question", "sql")(_trimmed)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return sorted({_trimmed(tag) for tag in tags})

    def pair(self) -> Pair:
        return Pair(self.question, self.sql, self.note, self.tags)


class QuestionTaken(Exception):
    """Another example already has this question."""


def _example(row: asyncpg.Record) -> Example:
    return Example(**dict(row))


# An unchanged pair is left alone (no new version, no notification): imports and repeated
# feedback are idempotent.
_UPSERT = f"""
INSERT INTO {S}.examples AS e (question, sql, note, tags, source) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (question) DO UPDATE
SET sql = EXCLUDED.sql, note = EXCLUDED.note, tags = EXCLUDED.tags, source = EXCLUDED.source,
    stale = NULL
WHERE (e.sql, e.note, e.tags) IS DISTINCT FROM (EXCLUDED.sql, EXCLUDED.note, EXCLUDED.tags)
RETURNING {_COLUMNS}, (xmax = 0) AS inserted
"""

_SEARCH = f"""
FROM {S}.examples
WHERE $1::text IS NULL
   OR strpos(lower(question), lower($1)) > 0
   OR strpos(lower(sql), lower($1)) > 0
   OR strpos(lower(coalesce(note, '')), lower($1)) > 0
   OR $1 = ANY(tags)
"""


class ExamplesStore:
    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self._tables = MetaTables(pool, acquire_timeout)
        self._fetch = self._tables.fetch

    async def add(self, pair: Pair, source: ExampleSource = "api") -> tuple[Example, Outcome]:
        """Stores a pair; asking the same question again replaces its SQL, note and tags."""
        rows = await self._fetch(
            _UPSERT, pair.question, pair.sql, pair.note, list(pair.tags), source
        )
        if not rows:
            rows = await self._fetch(
                f"SELECT {_COLUMNS} FROM {S}.examples WHERE question = $1", pair.question
            )
            return _example(rows[0]), "unchanged"
        row = dict(rows[0])
        return Example(**row), "added" if row.pop("inserted") else "updated"

    async def update(self, example_id: int, pair: Pair) -> Example | None:
        try:
            rows = await self._fetch(
                f"""
                UPDATE {S}.examples
                SET question = $2, sql = $3, note = $4, tags = $5, stale = NULL
                WHERE id = $1 RETURNING {_COLUMNS}
                """,
                example_id,
                pair.question,
                pair.sql,
                pair.note,
                list(pair.tags),
            )
        except asyncpg.UniqueViolationError as exc:
            raise QuestionTaken(pair.question) from exc
        return _example(rows[0]) if rows else None

    async def delete(self, example_id: int) -> Example | None:
        rows = await self._fetch(
            f"DELETE FROM {S}.examples WHERE id = $1 RETURNING {_COLUMNS}", example_id
        )
        return _example(rows[0]) if rows else None

    async def mark_stale(self, example_id: int, reason: str) -> None:
        """Flags the example; the same reason again changes nothing (no new version)."""
        await self._fetch(
            f"UPDATE {S}.examples SET stale = $2 WHERE id = $1 AND stale IS DISTINCT FROM $2",
            example_id,
            reason,
        )

    async def get(self, example_id: int) -> Example | None:
        rows = await self._fetch(f"SELECT {_COLUMNS} FROM {S}.examples WHERE id = $1", example_id)
        return _example(rows[0]) if rows else None

    async def page(
        self, *, limit: int, offset: int = 0, text: str | None = None
    ) -> tuple[list[Example], int]:
        """One page, oldest first, of the examples whose question, SQL or note contain `text`
        (or that carry it as a tag), and how many there are in all."""
        rows = await self._fetch(
            f"SELECT {_COLUMNS}, count(*) OVER () AS total {_SEARCH} "
            "ORDER BY id LIMIT $2 OFFSET $3",
            text,
            limit,
            offset,
        )
        if rows:
            return [_example(r) for r in rows], int(rows[0]["total"])
        total = await self._fetch(f"SELECT count(*) {_SEARCH}", text)
        return [], int(total[0][0])

    async def all(self) -> AsyncIterator[Example]:
        async with self._tables.connection() as conn:
            async with conn.transaction(readonly=True):
                async for row in conn.cursor(f"SELECT {_COLUMNS} FROM {S}.examples ORDER BY id"):
                    yield _example(row)

    async def changes_since(self, version: int) -> Changes:
        """One consistent read of what changed after `version` (0: everything)."""
        async with self._tables.connection() as conn:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                rows = await conn.fetch(
                    f"SELECT {_COLUMNS}, version FROM {S}.examples WHERE version > $1", version
                )
                deleted = await conn.fetch(
                    f"SELECT id, version FROM {S}.example_tombstones WHERE version > $1", version
                )
        latest = max((r["version"] for r in [*rows, *deleted]), default=version)
        upserted = [Example(**{k: v for k, v in r.items() if k != "version"}) for r in rows]
        return Changes(upserted, [r["id"] for r in deleted], latest)


async def seed_examples(conn: Conn, pairs: Iterable[tuple[str, str]]) -> int:
    """Loads bundled pairs; a question already stored keeps what users taught it."""
    await ensure_schema(conn)
    await conn.executemany(
        f"""
        INSERT INTO {S}.examples (question, sql, source) VALUES ($1, $2, 'seed')
        ON CONFLICT (question) DO NOTHING
        """,
        list(pairs),
    )
    count: int = await conn.fetchval(f"SELECT count(*) FROM {S}.examples")
    return count
