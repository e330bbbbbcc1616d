"""/v1/ask with execution and self-correction: guard, EXPLAIN, rows, one repair round."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import psutil
import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.attacks import ATTACKS
from tests.helpers.demo import DEMO_QUESTION, DEMO_SQL, answer
from tests.helpers.pg import Databases, checksum
from tests.helpers.sse import collect, names, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.demo.loader import load_demo


async def test_execute_streams_rows_after_the_sql(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(DEMO_SQL)))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION, "execute": True})
    order = names(events)
    assert order.index("sql") < order.index("rows")
    assert order[-1] == "done"
    (rows,) = of(events, "rows")
    assert {"name": "zdmc", "type": "varchar", "scale": None} in rows["columns"]
    zdmc = [c["name"] for c in rows["columns"]].index("zdmc")
    assert [row[zdmc] for row in rows["rows"]] == ["沈塘桥"]
    assert rows["final"] is True and rows["truncated"] is False and rows["row_count"] == 1


async def test_rows_are_capped_and_batched(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer("SELECT zdbh FROM dtzpt ORDER BY zdbh")))
    settings = settings_for(demo_db, max_rows=25, rows_batch=10)
    async with make_client(settings) as client:
        events = await collect(client, "GET", params={"question": "所有站点", "execute": "true"})
    batches = of(events, "rows")
    assert [len(b["rows"]) for b in batches] == [10, 10, 5]
    assert batches[-1]["truncated"] is True and batches[-1]["row_count"] == 25


async def test_without_execute_no_rows(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(DEMO_SQL)))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert "rows" not in names(events)
    assert of(events, "sql")[0]["valid"] is True


async def test_execution_switched_off_is_403_before_the_stream(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db, execute=False)) as client:
        response = await client.post("/v1/ask", json={"question": "q", "execute": True})
    assert response.status_code == 403
    assert "TXT2SQL_EXECUTE" in response.json()["detail"]
    assert standin.requests == []


async def test_sql_the_database_refuses_is_repaired_once(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    wrong = "SELECT zhanming FROM dtzpt"
    standin.push(Script(content=answer(wrong)), Script(content=answer(DEMO_SQL)))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION, "execute": True})
    first, second = of(events, "sql")
    assert (first["attempt"], first["valid"]) == (1, False)
    assert first["problems"][0]["code"] == "query_failed"
    assert "zhanming" in first["problems"][0]["message"]
    assert (second["attempt"], second["valid"], second["sql"]) == (2, True, DEMO_SQL)
    assert {e["attempt"] for e in of(events, "thinking")} == {1, 2}
    assert [u["attempt"] for u in of(events, "usage")] == [1, 2]
    assert of(events, "rows")[0]["attempt"] == 2
    repair = standin.requests[1]["body"]["input"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": answer(wrong)}
    assert "zhanming" in repair[-1]["content"]


async def test_repair_rounds_are_bounded(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(*[Script(content=answer("SELECT nope FROM dtzpt"))] * 3)
    async with make_client(settings_for(demo_db, repair_rounds=1)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert [s["attempt"] for s in of(events, "sql")] == [1, 2]
    assert len(standin.requests) == 2
    async with make_client(settings_for(demo_db, repair_rounds=0)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert len(of(events, "sql")) == 1
    assert len(standin.requests) == 3


async def test_an_unknown_table_is_a_mistake_worth_repairing(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer("SELECT * FROM stations")), Script(content=answer(DEMO_SQL)))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    first, second = of(events, "sql")
    assert first["problems"][0]["code"] == "unknown_table"
    assert second["valid"] is True


async def test_a_failure_while_running_is_repaired_before_any_row_is_sent(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    # EXPLAIN plans this fine; the division fails only when rows are read.
    failing = "SELECT zdmc, 1 / (zdxh - zdxh) AS x FROM dtzpt"
    standin.push(Script(content=answer(failing)), Script(content=answer(DEMO_SQL)))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION, "execute": True})
    (error,) = of(events, "error")
    assert error["code"] == "query_failed" and error["retryable"] is True
    assert "division_by_zero" in error["message"] or "DivisionByZero" in error["message"]
    assert of(events, "rows")[0]["attempt"] == 2
    assert names(events)[-1] == "done"


async def test_a_query_past_its_timeout_ends_with_query_timeout_and_no_repair(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    slow = "SELECT count(*) FROM zdkl_rtj a, zdkl_rtj b, zdkl_rtj c"
    standin.push(Script(content=answer(slow)))
    settings = settings_for(demo_db, statement_timeout_seconds=0.3)
    async with make_client(settings) as client:
        events = await collect(client, json={"question": DEMO_QUESTION, "execute": True})
    assert of(events, "error")[0]["code"] == "query_timeout"
    assert len(standin.requests) == 1
    assert names(events)[-2:] == ["error", "done"]


@pytest.fixture(scope="module")
async def attack_target(databases: Databases) -> str:
    url = await databases.create()
    await load_demo(url)
    return url


@pytest.mark.parametrize(("sql", "code"), ATTACKS)
async def test_every_attack_is_flagged_and_never_run(
    attack_target: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    sql: str,
    code: str,
) -> None:
    before = await checksum(attack_target)
    standin.push(Script(content=answer(sql)), Script(content=answer(DEMO_SQL)))
    settings = settings_for(attack_target, statement_timeout_seconds=2)
    async with make_client(settings) as client:
        events = await collect(client, json={"question": "攻击", "execute": True})
    sql_events = of(events, "sql")
    assert sql_events[0]["valid"] is False
    assert code in {p["code"] for p in sql_events[0]["problems"]}, json.dumps(sql_events[0])
    assert all(r["attempt"] == 2 for r in of(events, "rows"))
    assert await checksum(attack_target) == before


async def test_the_whole_corpus_leaves_data_temp_files_and_memory_within_bounds(
    attack_target: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    """Every attack in one service, as the database superuser: the data unchanged, no
    temporary file written, and the service's memory grown by less than 64 MB."""
    conn = await asyncpg.connect(attack_target)
    temp_bytes = (
        "SELECT pg_stat_force_next_flush(), "
        "(SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database())"
    )
    try:
        before, temp_before = await checksum(attack_target), (await conn.fetchrow(temp_bytes))[1]
        rss_before = psutil.Process().memory_info().rss
        standin.default = Script(content=answer(DEMO_SQL))
        settings = settings_for(attack_target, statement_timeout_seconds=2, rate_limit_burst=10_000)
        async with make_client(settings) as client:
            for sql, _ in ATTACKS:
                standin.push(Script(content=answer(sql)))
                events = await collect(client, json={"question": "攻击", "execute": True})
                assert of(events, "sql")[0]["valid"] is False, sql
        rss_growth = psutil.Process().memory_info().rss - rss_before
        await asyncio.sleep(1.0)  # statistics reach pg_stat_database about once a second
        temp_after = (await conn.fetchrow(temp_bytes))[1]
    finally:
        await conn.close()
    assert await checksum(attack_target) == before
    assert temp_after - temp_before == 0
    assert rss_growth < 64 * 2**20
