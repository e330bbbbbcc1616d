"""Glossary terms, kept in PostgreSQL in the service's own `txt2sql` schema (meta_schema.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import asyncpg
from pydantic import BaseModel, Field, field_validator

from txt2sql_api.db.meta_schema import MetaTables, S, ensure_schema
from txt2sql_api.text import StorableText, fold

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn

MAX_SYNONYMS = 20
MAX_TABLES = 10

_COLUMNS = "id, term, synonyms, meaning, sql, tables, created_at, updated_at"

_Word = Annotated[StorableText, Field(pattern=r"\S", max_length=100)]


def term_key(term: str) -> str:
    """Terms that differ only in case, width or surrounding spaces are the same term."""
    return fold(term.strip())


def _trimmed(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class GlossaryIn(BaseModel):
    """A term as a user sends it (API body, a line of an import)."""

    term: _Word = Field(examples=["换乘站"])
    synonyms: list[_Word] = Field(
        default_factory=list,
        max_length=MAX_SYNONYMS,
        description="Other words users say for it.",
        examples=[["换乘车站"]],
    )
    meaning: StorableText = Field(
        pattern=r"\S", max_length=2000, examples=["两条及以上线路经过的车站"]
    )
    sql: StorableText | None = Field(
        default=None,
        max_length=2000,
        description="A SQL expression over `tables` that computes or selects it.",
        examples=["zdmc IN (SELECT zdmc FROM dtzpt GROUP BY zdmc HAVING count(*) > 1)"],
    )
    tables: list[_Word] = Field(
        default_factory=list,
        max_length=MAX_TABLES,
        description="The tables it is about; they join the question's candidates.",
        examples=[["dtzpt"]],
    )

    _strip = field_validator("term", "meaning")(_trimmed)

    @field_validator("sql")
    @classmethod
    def _sql(cls, sql: str | None) -> str | None:
        return sql.strip() or None if sql is not None else None

    @field_validator("synonyms", "tables")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        return list(dict.fromkeys(word.strip() for word in words))


class GlossaryTerm(GlossaryIn):
    id: int
    created_at: datetime
    updated_at: datetime


class TermTaken(Exception):
    """Another entry already has this term."""


@dataclass(frozen=True)
class Version:
    """Changes whenever a term is added, edited or deleted (see meta_schema.py)."""

    count: int
    latest: int


def _term(row: asyncpg.Record) -> GlossaryTerm:
    return GlossaryTerm(**dict(row))


def _values(entry: GlossaryIn) -> tuple[object, ...]:
    return (
        entry.term,
        term_key(entry.term),
        entry.synonyms,
        entry.meaning,
        entry.sql,
        entry.tables,
    )


class GlossaryStore:
    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self._fetch = MetaTables(pool, acquire_timeout).fetch

    async def add(self, entry: GlossaryIn) -> GlossaryTerm:
        try:
            rows = await self._fetch(
                f"INSERT INTO {S}.glossary (term, term_key, synonyms, meaning, sql, tables) "
                f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
                *_values(entry),
            )
        except asyncpg.UniqueViolationError as exc:
            raise TermTaken(entry.term) from exc
        return _term(rows[0])

    async def update(self, term_id: int, entry: GlossaryIn) -> GlossaryTerm | None:
        try:
            rows = await self._fetch(
                f"UPDATE {S}.glossary SET term = $2, term_key = $3, synonyms = $4, meaning = $5, "
                f"sql = $6, tables = $7 WHERE id = $1 RETURNING {_COLUMNS}",
                term_id,
                *_values(entry),
            )
        except asyncpg.UniqueViolationError as exc:
            raise TermTaken(entry.term) from exc
        return _term(rows[0]) if rows else None

    async def delete(self, term_id: int) -> GlossaryTerm | None:
        rows = await self._fetch(
            f"DELETE FROM {S}.glossary WHERE id = $1 RETURNING {_COLUMNS}", term_id
        )
        return _term(rows[0]) if rows else None

    async def get(self, term_id: int) -> GlossaryTerm | None:
        rows = await self._fetch(f"SELECT {_COLUMNS} FROM {S}.glossary WHERE id = $1", term_id)
        return _term(rows[0]) if rows else None

    async def by_term(self, term: str) -> GlossaryTerm | None:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM {S}.glossary WHERE term_key = $1", term_key(term)
        )
        return _term(rows[0]) if rows else None

    async def all(self) -> list[GlossaryTerm]:
        return [
            _term(r) for r in await self._fetch(f"SELECT {_COLUMNS} FROM {S}.glossary ORDER BY id")
        ]

    async def version(self) -> Version:
        rows = await self._fetch(f"SELECT count(*), coalesce(max(version), 0) FROM {S}.glossary")
        return Version(int(rows[0][0]), int(rows[0][1]))


async def seed_glossary(conn: Conn, entries: list[GlossaryIn]) -> None:
    """Loads bundled terms; a term already stored keeps what users made of it."""
    await ensure_schema(conn)
    await conn.executemany(
        f"INSERT INTO {S}.glossary (term, term_key, synonyms, meaning, sql, tables) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (term_key) DO NOTHING",
        [_values(entry) for entry in entries],
    )
