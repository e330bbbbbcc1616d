"""A schema refresh reaches every instance sharing the database: two app instances on one
database (the schema's time to live and the fallback poll set to an hour, so only the refresh
can tell them); one is asked, both read the new table."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.eventually import eventually
from tests.helpers.pg import Databases, new_demo_database
from txt2sql_api.db.pool import create_pool
from txt2sql_api.schema.cache import SchemaCache
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.refreshes import SchemaRefreshes

SECONDS = 5.0
NEW_TABLE = "xlyy"


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


async def _tables(client: httpx.AsyncClient) -> set[str]:
    response = await client.get("/v1/schema")
    assert response.status_code == 200
    return {table["name"] for table in response.json()["tables"]}


async def _add_table(db: str) -> None:
    conn = await asyncpg.connect(db)
    try:
        await conn.execute(f"CREATE TABLE {NEW_TABLE} (id int PRIMARY KEY)")
    finally:
        await conn.close()


async def test_a_refresh_on_one_instance_reloads_the_others(
    db: str, make_client: ClientFactory
) -> None:
    settings = settings_for(db, examples_sync_seconds=3600, schema_ttl_seconds=3600)
    async with make_client(settings) as one, make_client(settings) as two:
        assert NEW_TABLE not in await _tables(two)  # two's snapshot is loaded
        await _add_table(db)
        assert NEW_TABLE not in await _tables(two)
        refreshed = await one.post("/v1/schema/refresh")
        assert refreshed.status_code == 200
        assert NEW_TABLE in await _tables(one)

        async def two_sees_it() -> bool:
            return NEW_TABLE in await _tables(two)

        await eventually(two_sees_it, "the other instance reads the new table", SECONDS)


async def test_a_missed_request_is_caught_at_the_next_sync_and_a_seen_one_is_not_redone(
    db: str,
) -> None:
    pool = await create_pool(db, min_size=0, max_size=2)
    loads: list[SchemaSnapshot] = []

    async def load() -> SchemaSnapshot:
        snapshot = SchemaSnapshot(tables=[], loaded_at=datetime.now(UTC))
        loads.append(snapshot)
        return snapshot

    try:
        asked = SchemaRefreshes(pool, SchemaCache(load, 3600), 5)
        follows = SchemaRefreshes(pool, SchemaCache(load, 3600), 5)
        await follows.sync()  # at start: the schema is fresh, nothing to redo
        assert loads == []
        await asked.request()
        assert len(loads) == 1
        await asked.sync()  # its own request, seen already
        assert len(loads) == 1
        await follows.sync()  # no notification needed: the row says there was a request
        assert len(loads) == 2
        await follows.sync()
        assert len(loads) == 2
    finally:
        await pool.close()
