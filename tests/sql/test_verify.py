"""`PassedSql`: a text that passed the guard and the planner is not checked again against the
same view of the schema; a new view, or a refusal, means checking again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.helpers.pg import Databases
from tests.sql.test_run import LIMITS
from txt2sql_api.db.pool import ServicePool, create_pool
from txt2sql_api.sql.verify import PassedSql

SQL = "SELECT a FROM t"


@pytest.fixture
async def database(databases: Databases) -> AsyncIterator[tuple[str, ServicePool]]:
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE t (a int)")
    finally:
        await conn.close()
    async with create_pool(url, min_size=0, max_size=1) as pool:
        yield url, pool


async def alter(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def view() -> frozenset[tuple[str, str]]:
    """A new view of the same tables: what a reloaded schema snapshot gives."""
    return frozenset({("public", "t")})


async def test_a_pass_is_remembered_for_its_view_only(
    database: tuple[str, ServicePool],
) -> None:
    url, pool = database
    passed, first = PassedSql(pool, LIMITS), view()
    assert (await passed.verify(SQL, first)).problems == []
    await alter(url, "ALTER TABLE t RENAME COLUMN a TO b")
    # Not planned again: the database would refuse it now.
    assert (await passed.verify(SQL, first)).problems == []
    (problem,) = (await passed.verify(SQL, view())).problems
    assert problem.code == "query_failed" and '"a"' in problem.message


async def test_a_refusal_is_checked_again(database: tuple[str, ServicePool]) -> None:
    url, pool = database
    passed, same = PassedSql(pool, LIMITS), view()
    assert (await passed.verify("SELECT c FROM t", same)).problems
    await alter(url, "ALTER TABLE t ADD COLUMN c int")
    assert (await passed.verify("SELECT c FROM t", same)).problems == []


async def test_the_oldest_pass_is_forgotten_past_the_size(
    database: tuple[str, ServicePool],
) -> None:
    url, pool = database
    passed, same = PassedSql(pool, LIMITS, size=1), view()
    await passed.verify(SQL, same)
    await passed.verify("SELECT 1", same)
    await alter(url, "ALTER TABLE t RENAME COLUMN a TO b")
    assert (await passed.verify(SQL, same)).problems
