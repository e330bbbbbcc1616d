"""The schema snapshot's cache on a real database: TTL, the old snapshot served while a refresh
runs, concurrent refreshes collapsed into one, failures that keep the old snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.helpers.pg import Databases, database_name
from txt2sql_api.demo.loader import load_demo
from txt2sql_api.schema.cache import SchemaCache, SchemaSource
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.sample_values import SampleLimits

LIMITS = SampleLimits(200, 10_000, 1, total_seconds=5, acquire_timeout_seconds=5)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class GatedSource:
    """The real loader, counted, and held at a gate while a test looks at the cache."""

    def __init__(self, source: SchemaSource) -> None:
        self.source = source
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def load(self) -> SchemaSnapshot:
        self.calls += 1
        await self.gate.wait()
        return await self.source.load()


@pytest.fixture
async def pool(databases: Databases) -> AsyncIterator[asyncpg.Pool]:
    url = await databases.create()
    await load_demo(url)
    pool = await asyncpg.create_pool(url, min_size=0, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


def _source(pool: asyncpg.Pool) -> GatedSource:
    return GatedSource(SchemaSource(pool, ["public"], ["*"], [], LIMITS))


def _names(snapshot: SchemaSnapshot) -> set[str]:
    return {t.name for t in snapshot.tables}


async def test_concurrent_readers_and_refreshes_share_one_load(pool: asyncpg.Pool) -> None:
    source = _source(pool)
    cache = SchemaCache(source.load, ttl_seconds=60)
    source.gate.clear()
    waiters = [asyncio.create_task(cache.get()) for _ in range(20)]
    waiters += [asyncio.create_task(cache.refresh()) for _ in range(20)]
    await asyncio.sleep(0.05)
    source.gate.set()
    results = await asyncio.gather(*waiters)
    assert source.calls == 1
    assert all(r is results[0] for r in results)
    assert "dtzpt" in _names(results[0].snapshot)


async def test_expired_snapshot_serves_while_the_refresh_runs(pool: asyncpg.Pool) -> None:
    source, clock = _source(pool), Clock()
    cache = SchemaCache(source.load, ttl_seconds=60, clock=clock)
    first = await cache.get()
    clock.now = 30
    assert await cache.get() is first and source.calls == 1  # fresh: no load
    await pool.execute("CREATE TABLE public.xinbiao (id int)")
    clock.now = 61
    source.gate.clear()
    stale = await asyncio.wait_for(cache.get(), timeout=1)  # does not wait for the load
    assert stale is first and source.calls == 2
    assert await cache.get() is first and source.calls == 2  # the running load is joined
    source.gate.set()
    second = await cache.refresh()
    assert source.calls == 2
    assert "xinbiao" in _names(second.snapshot) and "xinbiao" not in _names(first.snapshot)
    assert await cache.get() is second


async def test_a_failed_refresh_keeps_the_old_snapshot_and_the_next_one_retries(
    databases: Databases,
) -> None:
    url = await databases.create()
    await load_demo(url)
    pool = await asyncpg.create_pool(url, min_size=0, max_size=2)
    source, clock = _source(pool), Clock()
    cache = SchemaCache(source.load, ttl_seconds=60, clock=clock)
    try:
        first = await cache.get()
        await pool.expire_connections()
        name = database_name(url)
        await _admin(databases, f'DROP DATABASE "{name}" WITH (FORCE)')
        with pytest.raises((OSError, asyncpg.PostgresError)):
            await cache.refresh()
        clock.now = 100
        assert await cache.get() is first  # expired, the reload fails: still served
        with pytest.raises((OSError, asyncpg.PostgresError)):
            await cache.refresh()  # joins that reload, or starts another
        await _admin(databases, f'CREATE DATABASE "{name}"')
        await load_demo(url)
        second = await cache.refresh()
        assert second is not first and "dtzpt" in _names(second.snapshot)
    finally:
        await pool.close()


async def _admin(databases: Databases, sql: str) -> None:
    admin = await asyncpg.connect(databases.admin)
    try:
        await admin.execute(sql)
    finally:
        await admin.close()
