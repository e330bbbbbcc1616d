"""Faults the service survives: its database down, restarted or vanished, its upstream stalled.

The database faults go through a TCP proxy (tests/helpers/tcp_proxy.py) in front of the test server;
the shared server itself is never stopped. Time bounds are generous (the machine is shared):
they tell a deadline that fired from a wait that never ends, not how fast anything is.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import asyncpg
import httpx

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL, answer
from tests.helpers.pg import database_name, with_database
from tests.helpers.sse import Events, collect, names, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from tests.helpers.tcp_proxy import proxy_to
from txt2sql_api.answer.events import ErrorEvent, SqlEvent
from txt2sql_api.observability.metrics import Metrics
from txt2sql_api.shutdown import Drain
from txt2sql_api.wiring import build_state

# Short deadlines, so that a fault shows within seconds.
FAST = {"db_acquire_timeout_seconds": 1.0, "db_command_timeout_seconds": 2.0}
# Longest a request may take when every deadline involved is at most 2 s.
BOUND_SECONDS = 15.0


async def ask_timed(client: httpx.AsyncClient, **body: object) -> tuple[Events, float]:
    started = time.monotonic()
    events = await collect(client, json={"question": DEMO_QUESTION, **body})
    return events, time.monotonic() - started


def error_code(events: Events) -> str | None:
    errors = of(events, "error")
    return errors[-1]["code"] if errors else None


def answered_with_rows(events: Events) -> bool:
    return (
        error_code(events) is None
        and of(events, "sql")[0]["sql"] == DEMO_SQL
        and of(events, "rows")[-1]["final"] is True
    )


async def test_database_down_at_startup_then_back_without_a_restart(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.default = Script(content=ANSWER)
    async with proxy_to(demo_db) as proxy:
        proxy.mode = "refuse"
        async with make_client(settings_for(proxy.url, **FAST)) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
            down, _ = await ask_timed(client, execute=True)
            proxy.mode = "up"
            ready = await client.get("/readyz")
            back, _ = await ask_timed(client, execute=True)
    assert names(down) == ["error", "done"]
    assert error_code(down) == "database_unavailable"
    assert ready.status_code == 200
    assert answered_with_rows(back)


async def test_database_restart_while_serving_the_pool_recovers(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, pg_admin: str
) -> None:
    standin.default = Script(content=ANSWER)
    async with proxy_to(demo_db) as proxy:
        async with make_client(settings_for(proxy.url, **FAST)) as client:
            before, _ = await ask_timed(client, execute=True)
            # The server goes away: open connections drop, new ones are refused.
            proxy.cut()
            proxy.mode = "refuse"
            during, during_seconds = await ask_timed(client, execute=True)
            ready_during = await client.get("/readyz")
            proxy.mode = "up"
            after, _ = await ask_timed(client, execute=True)
            # The server ends every session of the service itself, as a restart does.
            await terminate_service_sessions(pg_admin, demo_db)
            after_terminate, _ = await ask_timed(client, execute=True)
    assert answered_with_rows(before)
    assert error_code(during) == "database_unavailable"
    assert during_seconds < BOUND_SECONDS
    assert ready_during.status_code == 503
    assert answered_with_rows(after)
    assert answered_with_rows(after_terminate)


async def terminate_service_sessions(admin: str, database_url: str) -> None:
    database = database_name(database_url)
    conn = await asyncpg.connect(with_database(admin, "postgres"))
    try:
        ended = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND application_name = 'txt2sql-api'",
            database,
        )
        assert ended >= 1
        for _ in range(500):
            if not await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name = 'txt2sql-api'",
                database,
            ):
                break
            await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def test_a_database_that_never_answers_costs_a_request_its_timeout_not_more(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.default = Script(content=ANSWER)
    async with proxy_to(demo_db) as proxy:
        async with make_client(settings_for(proxy.url, **FAST)) as client:
            warm, _ = await ask_timed(client, execute=True)
            # Connections already open stop carrying bytes; new ones are accepted, never answered.
            proxy.mode = "stall"
            started = time.monotonic()
            ready = await client.get("/readyz")
            ready_seconds = time.monotonic() - started
            stalled, stalled_seconds = await ask_timed(client, execute=True)
            proxy.cut()
            proxy.mode = "up"
            after, _ = await ask_timed(client, execute=True)
    assert answered_with_rows(warm)
    assert ready.status_code == 503
    assert ready_seconds < BOUND_SECONDS
    assert error_code(stalled) == "database_unavailable"
    assert names(stalled)[-1] == "done"
    assert stalled_seconds < BOUND_SECONDS
    assert answered_with_rows(after)


async def test_upstream_that_sends_headers_then_nothing_times_out(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(hang=True))
    settings = settings_for(demo_db, first_token_timeout_seconds=1.0, upstream_retries=0)
    async with make_client(settings) as client:
        events, seconds = await ask_timed(client)
    assert names(events) == ["error", "done"]
    assert error_code(events) == "upstream_timeout"
    assert 1.0 <= seconds < BOUND_SECONDS
    standin.wait_for(lambda s: s.aborted == 1)  # the stalled call was hung up on


async def test_upstream_that_stalls_mid_answer_times_out_keeping_what_was_sent(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER[:24], chunk_size=8, hang=True))
    settings = settings_for(demo_db, idle_timeout_seconds=1.0, upstream_retries=0)
    async with make_client(settings) as client:
        events, seconds = await ask_timed(client)
    assert names(events)[:2] == ["context", "thinking"]
    assert names(events)[-2:] == ["error", "done"]
    assert error_code(events) == "upstream_timeout"
    assert seconds < BOUND_SECONDS


async def test_a_question_while_every_connection_is_in_use_ends_with_database_busy(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=ANSWER)
    settings = settings_for(demo_db, db_pool_max=1, db_acquire_timeout_seconds=0.2)
    async with AsyncExitStack() as stack:
        state = await build_state(stack, settings, Metrics(), Drain())
        assert state.database is not None
        database = state.database
        # Answered once, so the schema and the examples are loaded: the pool is free again.
        warm = [e async for e in database.answerer.answer(DEMO_QUESTION)]
        # Another SQL: a text that passed once is not planned again.
        standin.push(Script(content=answer("SELECT zdmc FROM dtzpt")))
        async with database.pool.acquire():  # the only connection, held by someone else
            busy = [e async for e in database.answerer.answer(DEMO_QUESTION)]
    assert any(isinstance(e, SqlEvent) and e.valid for e in warm)
    error = busy[-1]
    assert isinstance(error, ErrorEvent)
    assert error.code == "database_busy" and error.retryable
    assert "no database connection came free for 0.2 s (all 1 in use)" in error.message
