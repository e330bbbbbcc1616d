"""Running SQL: limits the database enforces itself, JSON-safe values, row and byte caps."""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from tests.helpers.attacks import ATTACKS
from tests.helpers.pg import Databases, checksum, wait_for_activity, with_user
from tests.helpers.tcp_proxy import proxy_to
from txt2sql_api.db.pool import DatabaseBusy, ServicePool, create_pool
from txt2sql_api.db.privileges import writable_tables
from txt2sql_api.demo.loader import load_demo
from txt2sql_api.sql.run import RowBatch, run_query
from txt2sql_api.sql.transaction import QueryFailed, QueryLimits, failure_of, read_only
from txt2sql_api.sql.verify import explain

LIMITS = QueryLimits(
    statement_timeout_seconds=5,
    max_rows=500,
    max_bytes=1_000_000,
    batch_rows=100,
    acquire_timeout_seconds=5,
)


@pytest.fixture
async def pool(demo_db: str) -> AsyncIterator[ServicePool]:
    async with create_pool(demo_db, min_size=0, max_size=1) as pool:
        yield pool


async def collect(pool: asyncpg.Pool, sql: str, limits: QueryLimits = LIMITS) -> list[RowBatch]:
    return [event async for event in run_query(pool, sql, limits)]


async def unwrapped(pool: ServicePool, sql: str, limits: QueryLimits) -> list[asyncpg.Record]:
    """The SQL as the database alone would run it: a prepared statement in the READ ONLY
    transaction, without the guard and without the bounding query around it."""
    async with read_only(pool, limits) as conn:
        try:
            return await (await conn.prepare(sql)).fetch()
        except asyncpg.PostgresError as exc:
            raise failure_of(exc) from exc


async def test_result_streams_in_batches_with_columns_first(pool: asyncpg.Pool) -> None:
    events = await collect(pool, "SELECT zdbh, zdmc, zdxh FROM dtzpt ORDER BY zdbh")
    assert [c.name for c in events[0].columns or []] == ["zdbh", "zdmc", "zdxh"]
    assert [c.type for c in events[0].columns or []] == ["varchar", "varchar", "int4"]
    assert all(e.columns is None for e in events[1:])
    assert [len(e.rows) for e in events[:-1]] == [100] * (len(events) - 1)
    assert events[-1].final and not events[-1].truncated
    total = sum(len(e.rows) for e in events)
    assert events[-1].row_count == total == 75
    assert ["ZD0208", "沈塘桥"] in [row[:2] for e in events for row in e.rows]


async def test_empty_result_is_one_final_event_with_columns(pool: asyncpg.Pool) -> None:
    (event,) = await collect(pool, "SELECT zdmc FROM dtzpt WHERE false")
    assert event.columns is not None and event.rows == [] and event.final


VALUES_SQL = """
SELECT 1.5::numeric AS exact, 0.1::numeric AS tenth, 12345678901234567890.5::numeric AS big,
       'NaN'::numeric AS nan, 'Infinity'::float8 AS inf, '-Infinity'::float8 AS ninf,
       DATE '2024-06-01' AS d, TIMESTAMPTZ '2024-06-01 08:00:00+08' AS ts,
       TIME '08:30:00' AS t, INTERVAL '1 day 2 hours 3.5 seconds' AS iv,
       INTERVAL '-5 minutes' AS neg, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u,
       '\\xdead'::bytea AS b, ARRAY[1, 2, NULL] AS arr, ARRAY['沈塘桥'] AS txt,
       '{"k": [1, 2]}'::jsonb AS j, int4range(1, 5) AS r, '10.0.0.1/32'::inet AS ip,
       ROW(1, 'x') AS rec, true AS flag, NULL::text AS nothing, 9007199254740993 AS huge
"""


async def test_numeric_columns_say_their_scale_which_json_numbers_lose(pool: asyncpg.Pool) -> None:
    sql = (
        "SELECT xlcd, xlcd::float8 AS f, 1.5::numeric(10, 3) AS n, 7::numeric AS whole "
        "FROM xlxx ORDER BY xlbh"
    )
    for limits in (LIMITS, replace(LIMITS, batch_rows=1)):
        events = await collect(pool, sql, limits)
        columns = events[0].columns or []
        assert [(c.type, c.scale) for c in columns] == [
            ("numeric", 2),
            ("float8", None),
            ("numeric", 3),
            ("numeric", 0),
        ]
        assert events[0].rows[0][0] == 48.5  # still a JSON number, its scale told apart


async def test_every_kind_of_value_becomes_json(pool: asyncpg.Pool) -> None:
    (event,) = await collect(pool, VALUES_SQL)
    columns = [c.name for c in event.columns or []]
    row = dict(zip(columns, event.rows[0], strict=True))
    json.dumps(event.rows, allow_nan=False)  # raises on NaN and Infinity
    assert row["exact"] == 1.5 and row["tenth"] == 0.1
    assert row["big"] == "12345678901234567890.5"
    assert (row["nan"], row["inf"], row["ninf"]) == ("NaN", "Infinity", "-Infinity")
    assert row["d"] == "2024-06-01"
    assert row["ts"] == "2024-06-01T00:00:00+00:00"
    assert row["t"] == "08:30:00"
    assert (row["iv"], row["neg"]) == ("P1DT2H3.5S", "-PT5M")
    assert row["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert row["b"] == "\\xdead"
    assert row["arr"] == [1, 2, None] and row["txt"] == ["沈塘桥"]
    assert json.loads(row["j"]) == {"k": [1, 2]}
    assert row["r"] == {
        "lower": 1,
        "upper": 5,
        "lower_inc": True,
        "upper_inc": False,
        "empty": False,
    }
    assert row["ip"] == "10.0.0.1"
    assert row["rec"] == {"f1": 1, "f2": "x"} or row["rec"] == [1, "x"]
    assert row["flag"] is True and row["nothing"] is None
    assert row["huge"] == 9007199254740993


async def test_a_million_rows_stop_at_the_cap_without_reading_them_all(
    pool: asyncpg.Pool,
) -> None:
    tracemalloc.start()
    try:
        events = await collect(pool, "SELECT g, md5(g::text) FROM generate_series(1, 1000000) g")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert events[-1].final and events[-1].truncated
    assert events[-1].row_count == sum(len(e.rows) for e in events) == LIMITS.max_rows
    assert peak < 5 * 2**20, f"peak {peak / 2**20:.1f} MiB: the result was read past the cap"


async def test_byte_cap_truncates_wide_rows(pool: asyncpg.Pool) -> None:
    limits = QueryLimits(5, 500, 10_000, 100, 5)
    events = await collect(pool, "SELECT repeat('x', 1000) FROM generate_series(1, 50)", limits)
    assert events[-1].truncated
    assert sum(len(json.dumps(row)) for e in events for row in e.rows) <= 10_000
    assert 5 <= events[-1].row_count < 10


async def test_statement_timeout_ends_a_long_query(pool: asyncpg.Pool) -> None:
    limits = QueryLimits(0.3, 500, 1_000_000, 100, 5)
    with pytest.raises(QueryFailed) as raised:
        await asyncio.wait_for(collect(pool, "SELECT pg_sleep(60)", limits), 30)
    assert raised.value.code == "query_timeout"
    assert raised.value.repairable is False
    assert (await collect(pool, "SELECT 1"))[-1].rows == [[1]]


async def test_explain_reports_the_database_reason(pool: asyncpg.Pool) -> None:
    await explain(pool, "SELECT zdmc FROM dtzpt", LIMITS)
    with pytest.raises(QueryFailed) as raised:
        await explain(pool, "SELECT zhanming FROM dtzpt", LIMITS)
    assert raised.value.code == "query_failed" and raised.value.repairable
    assert "zhanming" in raised.value.message


async def test_explain_never_runs_the_query(pool: asyncpg.Pool) -> None:
    await asyncio.wait_for(explain(pool, "SELECT pg_sleep(60)", LIMITS), 30)


async def test_cancelling_the_reader_cancels_the_query_and_frees_the_connection(
    pool: asyncpg.Pool, demo_db: str
) -> None:
    marker = f"cancel_{uuid.uuid4().hex[:8]}"
    sql = f"SELECT count(*) AS {marker} FROM generate_series(1, 10000000000)"
    task = asyncio.create_task(collect(pool, sql, QueryLimits(60, 500, 1_000_000, 100, 5)))
    await wait_for_activity(demo_db, marker, present=True)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_for_activity(demo_db, marker, present=False)
    assert (await collect(pool, "SELECT 2"))[-1].rows == [[2]]


@pytest.fixture(scope="module")
async def attack_db(databases: Databases) -> AsyncIterator[tuple[str, str]]:
    """A fresh demo database and a URL for a role that may only SELECT (README's advice)."""
    url = await databases.create()
    await load_demo(url)
    role = f"txt2sql_ro_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE ROLE {role} LOGIN")
        await conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        yield url, with_user(url, role)
        await conn.execute(f"DROP OWNED BY {role}")
        await conn.execute(f"DROP ROLE {role}")
    finally:
        await conn.close()


async def test_without_the_guard_the_database_alone_stops_every_attack(
    attack_db: tuple[str, str],
) -> None:
    owner_url, read_only_url = attack_db
    before = await checksum(owner_url)
    outcomes: dict[str, Any] = {}
    async with create_pool(read_only_url, min_size=0, max_size=1) as pool:
        async with pool.acquire() as conn:
            assert await writable_tables(conn, ["public"]) == []
        for sql, _ in ATTACKS:
            try:
                outcomes[sql] = await asyncio.wait_for(
                    unwrapped(pool, sql, QueryLimits(1, 500, 1_000_000, 100, 5)), 30
                )
            except QueryFailed as failure:
                outcomes[sql] = failure.code
            except asyncpg.PostgresError as exc:  # refused before the transaction began
                outcomes[sql] = type(exc).__name__
        # Whatever an attack changed in the session is reset before the next user gets it.
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW default_transaction_read_only") == "off"
    assert await checksum(owner_url) == before
    assert any(isinstance(outcome, str) for outcome in outcomes.values())


async def test_the_owner_role_is_reported_as_able_to_write(demo_db: str) -> None:
    conn = await asyncpg.connect(demo_db)
    try:
        writable = await writable_tables(conn, ["public"])
    finally:
        await conn.close()
    assert "public.dtzpt" in writable


async def test_every_connection_in_use_is_busy_not_a_bare_timeout(pool: ServicePool) -> None:
    limits = QueryLimits(5, 500, 1_000_000, 100, acquire_timeout_seconds=0.2)
    async with pool.acquire():  # the pool's only connection, never given back meanwhile
        with pytest.raises(
            DatabaseBusy, match=r"no database connection came free for 0.2 s \(all 1 in use\)"
        ):
            await explain(pool, "SELECT 1", limits)
    await explain(pool, "SELECT 1", limits)  # and once it is given back, it is taken


async def test_a_queue_that_moves_is_waited_out_past_the_acquire_timeout(
    pool: ServicePool,
) -> None:
    """Ten requests ahead, each holding the only connection 0.1 s: the last waits ~1 s, five
    times its acquire timeout, and is served, because connections kept coming back."""
    limits = QueryLimits(5, 500, 1_000_000, 100, acquire_timeout_seconds=0.2)
    await explain(pool, "SELECT 1", limits)  # the connection open, so no wait is for opening

    async def hold_briefly() -> None:
        async with pool.acquire():
            await asyncio.sleep(0.1)

    ahead = [asyncio.create_task(hold_briefly()) for _ in range(10)]
    await asyncio.sleep(0)  # they queue first
    started = time.monotonic()
    await explain(pool, "SELECT 1", limits)
    assert time.monotonic() - started >= 0.9
    await asyncio.gather(*ahead)


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Released without a round trip, so the release below ends within one loop callback."""


async def test_a_connection_freed_as_the_deadline_passes_is_taken_not_busy(demo_db: str) -> None:
    """Under load the event loop runs late: the waiter's deadline and the release of a
    connection come due together, and the deadline runs first. The connection is free."""
    limits = QueryLimits(5, 500, 1_000_000, 100, acquire_timeout_seconds=0.2)
    async with create_pool(demo_db, min_size=0, max_size=1, reset=_no_reset) as pool:
        conn = await pool.acquire()
        loop = asyncio.get_running_loop()

        def late_release() -> None:
            time.sleep(0.1)  # a loop that is behind: the waiter's deadline passes meanwhile
            loop.create_task(pool.release(conn))

        loop.call_later(0.15, late_release)
        await explain(pool, "SELECT 1", limits)


async def test_a_database_that_never_accepts_is_a_timeout_not_busy(demo_db: str) -> None:
    limits = QueryLimits(5, 500, 1_000_000, 100, acquire_timeout_seconds=0.3)
    async with proxy_to(demo_db) as proxy:
        proxy.mode = "blackhole"  # accepts the connection, never answers
        async with create_pool(proxy.url, min_size=0, max_size=1) as stalled:
            with pytest.raises(TimeoutError) as raised:
                await explain(stalled, "SELECT 1", limits)
            assert not isinstance(raised.value, DatabaseBusy)
            proxy.cut()
