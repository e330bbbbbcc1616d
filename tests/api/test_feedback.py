"""Feedback: every answer is kept (question and SQL) under its request id for a while, and
`POST /v1/feedback` turns an approved or corrected answer into a verified example."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import httpx
import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import DEMO_SQL, answer
from tests.helpers.pg import Databases, new_demo_database
from tests.helpers.sse import collect, names, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.examples.answer_log import AnswerLimits, RecentAnswers, RecordedAnswer

QUESTION = "沈塘桥站的全部信息"
CORRECTED = "SELECT zdbh, zdmc FROM dtzpt WHERE zdmc = '沈塘桥'"


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


async def answered(
    client: httpx.AsyncClient, standin: DashScopeStandIn, content: str = answer(DEMO_SQL)
) -> str:
    """Asks QUESTION; the request id its `done` event carries."""
    standin.push(Script(content=content))
    events = await collect(client, json={"question": QUESTION})
    (done,) = of(events, "done")
    request_id: str = done["request_id"]
    return request_id


async def feedback(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post("/v1/feedback", json=body)


async def stored(client: httpx.AsyncClient) -> list[dict[str, object]]:
    examples: list[dict[str, object]] = (
        await client.get("/v1/examples", params={"q": QUESTION})
    ).json()
    return examples


async def test_up_makes_the_answer_an_example_once(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        request_id = await answered(client, standin)
        first = await feedback(client, request_id=request_id, verdict="up")
        again = await feedback(client, request_id=request_id, verdict="up")
        examples = await stored(client)
    assert first.status_code == again.status_code == 200
    example = first.json()["example"]
    assert (example["question"], example["sql"], example["source"]) == (
        QUESTION,
        DEMO_SQL,
        "feedback",
    )
    assert again.json() == first.json()
    assert examples == [example]


async def test_down_with_corrected_sql_stores_the_correction(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        request_id = await answered(client, standin)
        response = await feedback(
            client, request_id=request_id, verdict="down", corrected_sql=CORRECTED
        )
        examples = await stored(client)
    assert response.status_code == 200
    assert response.json()["example"]["sql"] == CORRECTED
    assert [e["sql"] for e in examples] == [CORRECTED]


async def test_a_correction_is_checked_like_any_example(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        request_id = await answered(client, standin)
        writes = await feedback(
            client, request_id=request_id, verdict="down", corrected_sql="DELETE FROM dtzpt"
        )
        unknown_column = await feedback(
            client, request_id=request_id, verdict="down", corrected_sql="SELECT nope FROM dtzpt"
        )
        examples = await stored(client)
    assert writes.status_code == unknown_column.status_code == 422
    assert writes.json()["detail"][0]["code"] == "not_read_only"
    assert writes.json()["detail"][0]["loc"] == ["body", "corrected_sql"]
    assert unknown_column.json()["detail"][0]["code"] == "query_failed"
    assert examples == []


async def test_a_bare_down_is_recorded_only(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        request_id = await answered(client, standin)
        response = await feedback(client, request_id=request_id, verdict="down")
        examples = await stored(client)
    assert response.status_code == 200
    assert response.json() == {"request_id": request_id, "verdict": "down", "example": None}
    assert examples == []
    conn = await asyncpg.connect(db)
    try:
        row = await conn.fetchrow(
            "SELECT question, sql, verdict FROM txt2sql.answers WHERE request_id = $1", request_id
        )
    finally:
        await conn.close()
    assert row is not None
    assert dict(row) == {"question": QUESTION, "sql": DEMO_SQL, "verdict": "down"}


async def test_up_on_an_answer_without_sql_is_a_422(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        request_id = await answered(client, standin, content="抱歉，我无法回答。")
        response = await feedback(client, request_id=request_id, verdict="up")
    assert response.status_code == 422
    assert response.json()["detail"][0]["code"] == "no_sql"


async def test_unknown_and_expired_answers_are_a_404(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db, answers_keep_seconds=0.5)) as client:
        request_id = await answered(client, standin)
        fresh = await feedback(client, request_id=request_id, verdict="down")
        await asyncio.sleep(0.6)
        expired = await feedback(client, request_id=request_id, verdict="up")
        unknown = await feedback(client, request_id="no-such-answer", verdict="up")
    assert fresh.status_code == 200
    assert expired.status_code == unknown.status_code == 404


async def test_recent_answers_are_pruned_by_count_and_age(db: str) -> None:
    async with asyncpg.create_pool(db, min_size=0, max_size=1) as pool:
        answers = RecentAnswers(
            pool, AnswerLimits(keep_seconds=3600, keep_max=2, acquire_timeout=5)
        )
        for number in range(3):
            await answers.record(RecordedAnswer(f"r{number}", f"问题{number}", None))
        await answers.prune()
        kept = await pool.fetch("SELECT request_id FROM txt2sql.answers ORDER BY request_id")
        assert [r["request_id"] for r in kept] == ["r1", "r2"]
        await pool.execute("UPDATE txt2sql.answers SET created_at = now() - interval '2 hours'")
        await answers.prune()
        assert await pool.fetchval("SELECT count(*) FROM txt2sql.answers") == 0


class CountingPool:
    """A pool that counts the connections taken from it."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.acquired = 0

    def acquire(self, **kwargs: Any) -> Any:
        self.acquired += 1
        return self.pool.acquire(**kwargs)


async def test_answers_ending_together_are_written_in_one_batch(db: str) -> None:
    async with asyncpg.create_pool(db, min_size=0, max_size=2) as pool:
        counting = CountingPool(pool)
        answers = RecentAnswers(
            counting,  # type: ignore[arg-type]
            AnswerLimits(keep_seconds=3600, keep_max=1000, acquire_timeout=5),
        )
        await answers.record(RecordedAnswer("alone", "问题", None))
        before = counting.acquired
        await asyncio.gather(
            *(answers.record(RecordedAnswer(f"r{n}", f"问题{n}", f"SELECT {n}")) for n in range(50))
        )
        stored = await pool.fetch("SELECT request_id, sql FROM txt2sql.answers")
    assert {r["request_id"]: r["sql"] for r in stored} == {
        "alone": None,
        **{f"r{n}": f"SELECT {n}" for n in range(50)},
    }
    # The first of the fifty is written alone; the other 49, waiting meanwhile, together.
    assert counting.acquired - before <= 2


async def test_a_failure_to_record_never_breaks_the_answer(
    db: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with make_client(settings_for(db)) as client:
        await answered(client, standin)
        conn = await asyncpg.connect(db)
        try:
            await conn.execute("DROP TABLE txt2sql.answers")
        finally:
            await conn.close()
        standin.push(Script(content=answer(DEMO_SQL)))
        with caplog.at_level(logging.WARNING, logger="txt2sql_api.answer.recorder"):
            events = await collect(client, json={"question": QUESTION})
    assert names(events)[-2:] == ["usage", "done"]
    assert of(events, "sql")[0]["valid"] is True
    assert "could not record the answer" in caplog.text
