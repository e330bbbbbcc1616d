"""What the import and export commands work with, without a running service: the database the
questions are about (to check SQL against, as the service would) and the meta database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TextIO

from txt2sql_api.config import Settings
from txt2sql_api.db.pool import ServicePool, create_pool
from txt2sql_api.examples import jsonl as examples_jsonl
from txt2sql_api.examples.store import ExamplesStore
from txt2sql_api.glossary import jsonl as glossary_jsonl
from txt2sql_api.glossary.index import Glossary
from txt2sql_api.glossary.store import GlossaryStore
from txt2sql_api.jsonl import ImportReport
from txt2sql_api.schema.introspect import introspect, namespace
from txt2sql_api.sql.guard import Visible
from txt2sql_api.sql.transaction import QueryLimits
from txt2sql_api.sql.verify import SqlVerifier


@dataclass(frozen=True)
class Offline:
    verifier: SqlVerifier
    meta: ServicePool
    acquire_timeout: float

    def examples(self) -> ExamplesStore:
        return ExamplesStore(self.meta, self.acquire_timeout)

    def glossary(self) -> Glossary:
        return Glossary(GlossaryStore(self.meta, self.acquire_timeout), self.verifier.problems)


async def _visible(pool: ServicePool, settings: Settings, limits: QueryLimits) -> Visible:
    async with pool.acquire(timeout=settings.db_acquire_timeout_seconds) as conn:
        tables = await introspect(
            conn, settings.schemas, include=settings.tables_include, exclude=settings.tables_exclude
        )
        relations, function_names = await namespace(conn, settings.schemas)
    return Visible(
        tables=frozenset((t.schema_name, t.name) for t in tables),
        schemas=limits.search_path,
        relations=relations,
        functions=function_names,
        allowed_functions=frozenset(settings.allowed_functions),
    )


@asynccontextmanager
async def offline(settings: Settings, database_url: str) -> AsyncIterator[Offline]:
    async with AsyncExitStack() as stack:

        async def pool_for(dsn: str) -> ServicePool:
            return await stack.enter_async_context(
                create_pool(
                    dsn, min_size=0, max_size=1, command_timeout=settings.db_command_timeout_seconds
                )
            )

        pool = await pool_for(database_url)
        meta_url = settings.meta_database_url or database_url
        meta = pool if meta_url == database_url else await pool_for(meta_url)
        limits = QueryLimits.from_settings(settings)
        visible = await _visible(pool, settings, limits)

        async def visible_now() -> Visible:
            return visible

        verifier = SqlVerifier(pool, limits, visible_now)
        yield Offline(verifier, meta, settings.db_acquire_timeout_seconds)


async def import_examples(settings: Settings, database_url: str, source: TextIO) -> ImportReport:
    """Checks each pair against `database_url` and stores it in the meta database."""
    async with offline(settings, database_url) as work:
        return await examples_jsonl.import_lines(source, work.examples(), work.verifier)


async def export_examples(settings: Settings, database_url: str, out: TextIO) -> int:
    async with offline(settings, database_url) as work:
        return await examples_jsonl.export_lines(work.examples(), out)


async def import_glossary(settings: Settings, database_url: str, source: TextIO) -> ImportReport:
    async with offline(settings, database_url) as work:
        glossary = work.glossary()
        await glossary.sync()
        return await glossary_jsonl.import_lines(source, glossary)


async def export_glossary(settings: Settings, database_url: str, out: TextIO) -> int:
    async with offline(settings, database_url) as work:
        glossary = work.glossary()
        await glossary.sync()
        return glossary_jsonl.export_lines(glossary.terms, out)
