"""Examples in and out as JSON Lines, one pair an object: `{"question", "sql", "note"?,
"tags"?, "source"?}`. Every imported line is checked as `POST /v1/examples` checks a pair (its
fields, then the guard and `EXPLAIN` against the database); a refused line is reported by its
number and the rest still go in. Importing a file twice changes nothing the second time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TextIO

import asyncpg
from pydantic import ValidationError

from txt2sql_api.config import Settings
from txt2sql_api.db.pool import ServicePool, create_pool
from txt2sql_api.examples.store import Example, ExampleIn, ExampleSource, ExamplesStore
from txt2sql_api.schema.introspect import introspect, namespace
from txt2sql_api.sql.guard import Visible
from txt2sql_api.sql.transaction import QueryLimits
from txt2sql_api.sql.verify import SqlVerifier


class ExampleLine(ExampleIn):
    source: ExampleSource = "api"


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.refused)} refused"
        )


def _validation_reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, error['loc'])) or 'line'}: {error['msg']}" for error in exc.errors()
    )


async def import_lines(
    lines: Iterable[str], store: ExamplesStore, verifier: SqlVerifier
) -> ImportReport:
    report = ImportReport()
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            line = ExampleLine.model_validate_json(text)
        except ValidationError as exc:
            report.refused.append((number, _validation_reason(exc)))
            continue
        problems = await verifier.problems(line.sql)
        if problems:
            report.refused.append((number, "; ".join(f"{p.code}: {p.message}" for p in problems)))
            continue
        _, outcome = await store.add(line.pair(), line.source)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def line_of(example: Example) -> str:
    record: dict[str, object] = {"question": example.question, "sql": example.sql}
    if example.note is not None:
        record["note"] = example.note
    if example.tags:
        record["tags"] = example.tags
    record["source"] = example.source
    return json.dumps(record, ensure_ascii=False)


async def export_lines(store: ExamplesStore, out: TextIO) -> int:
    count = 0
    async for example in store.all():
        out.write(line_of(example) + "\n")
        count += 1
    return count


@asynccontextmanager
async def _pool(dsn: str, settings: Settings) -> AsyncIterator[ServicePool]:
    async with create_pool(
        dsn, min_size=0, max_size=1, command_timeout=settings.db_command_timeout_seconds
    ) as pool:
        yield pool


def _store(pool: asyncpg.Pool, settings: Settings) -> ExamplesStore:
    return ExamplesStore(pool, settings.db_acquire_timeout_seconds)


async def import_file(settings: Settings, database_url: str, source: TextIO) -> ImportReport:
    """Checks each pair against `database_url` and stores it in the meta database."""
    async with (
        _pool(database_url, settings) as pool,
        _pool(settings.meta_database_url or database_url, settings) as meta,
    ):
        async with pool.acquire(timeout=settings.db_acquire_timeout_seconds) as conn:
            tables = await introspect(
                conn,
                settings.schemas,
                include=settings.tables_include,
                exclude=settings.tables_exclude,
            )
            relations, function_names = await namespace(conn, settings.schemas)
        limits = QueryLimits.from_settings(settings)
        visible = Visible(
            tables=frozenset((t.schema_name, t.name) for t in tables),
            schemas=limits.search_path,
            relations=relations,
            functions=function_names,
            allowed_functions=frozenset(settings.allowed_functions),
        )

        async def visible_now() -> Visible:
            return visible

        verifier = SqlVerifier(pool, limits, visible_now)
        return await import_lines(source, _store(meta, settings), verifier)


async def export_file(settings: Settings, database_url: str, out: TextIO) -> int:
    async with _pool(settings.meta_database_url or database_url, settings) as meta:
        return await export_lines(_store(meta, settings), out)
