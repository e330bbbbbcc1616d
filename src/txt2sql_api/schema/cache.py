"""One schema snapshot in memory, with a time to live.

Readers always get a snapshot at once when there is one, even an expired one: the expiry starts
a refresh in the background and the old snapshot serves until the new one is ready. Concurrent
refreshes (expiry, `POST /v1/schema/refresh`, the first readers) share one load. A failed load
keeps the old snapshot; with none yet, the caller gets the error and the next one tries again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from txt2sql_api.background import SingleFlight
from txt2sql_api.schema.introspect import SchemaSnapshot, introspect, namespace
from txt2sql_api.schema.pruning import TableIndex
from txt2sql_api.schema.sample_values import SampleLimits, fill_samples


@dataclass(frozen=True)
class LoadedSchema:
    snapshot: SchemaSnapshot
    index: TableIndex
    loaded_monotonic: float


@dataclass(frozen=True)
class SchemaSource:
    """Where and what to read."""

    pool: asyncpg.Pool
    schemas: Sequence[str]
    include: Sequence[str]
    exclude: Sequence[str]
    samples: SampleLimits

    async def load(self) -> SchemaSnapshot:
        async with self.pool.acquire(timeout=self.samples.acquire_timeout_seconds) as conn:
            tables = await introspect(
                conn, self.schemas, include=self.include, exclude=self.exclude
            )
            relations, function_names = await namespace(conn, self.schemas)
        await fill_samples(self.pool, tables, self.samples)
        return SchemaSnapshot(
            tables=tables,
            loaded_at=datetime.now(UTC),
            relations=relations,
            function_names=function_names,
        )


class SchemaCache:
    def __init__(
        self,
        load: Callable[[], Awaitable[SchemaSnapshot]],
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        on_loaded: Callable[[], None] | None = None,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._on_loaded = on_loaded
        self._clock = clock
        self._current: LoadedSchema | None = None
        self._loading: SingleFlight[LoadedSchema] = SingleFlight("loading the schema")

    @property
    def current(self) -> LoadedSchema | None:
        return self._current

    async def get(self) -> LoadedSchema:
        current = self._current
        if current is None:
            return await self.refresh()
        if self._clock() - current.loaded_monotonic >= self._ttl:
            self.start()
        return current

    async def refresh(self) -> LoadedSchema:
        """A fresh snapshot: joins the load already running, or starts one."""
        # shield: a caller that goes away must not cancel the load the others wait for.
        return await asyncio.shield(self.start())

    def start(self) -> asyncio.Task[LoadedSchema]:
        return self._loading.start(self._build)

    async def _build(self) -> LoadedSchema:
        snapshot = await self._load()
        # Indexing a thousand tables is CPU work: off the event loop.
        index = await asyncio.to_thread(TableIndex, snapshot)
        self._current = LoadedSchema(snapshot, index, self._clock())
        if self._on_loaded is not None:
            self._on_loaded()
        return self._current

    async def close(self) -> None:
        await self._loading.close()
