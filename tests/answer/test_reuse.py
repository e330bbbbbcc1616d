"""Verified questions answered from the store: a question that matches a verified example (case,
width, spaces and punctuation aside) gets its SQL without a model call, no key needed, once that
SQL checks against today's schema; a stale one falls back to the model and is flagged."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import asyncpg
import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import answer
from tests.helpers.metrics_text import metric
from tests.helpers.pg import Databases, new_demo_database
from tests.helpers.serve_process import CLI, serve
from tests.helpers.sse import collect, names, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.config import Settings
from txt2sql_api.demo.loader import demo_examples

QUESTION, SQL = demo_examples()[0]


def reusing(database_url: str, **overrides: Any) -> Settings:
    return settings_for(database_url, reuse_examples=True, **overrides)


TABLE_SQL = "SELECT count(*) FROM haochu"


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


async def test_a_verified_question_is_answered_without_a_model_call_or_a_key(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(reusing(demo_db, dashscope_api_key=None)) as client:
        events = await collect(client, json={"question": QUESTION, "execute": True})
        page = (await client.get("/metrics")).text
    assert standin.requests == []
    assert names(events)[:3] == ["context", "thinking", "sql"]
    assert names(events)[-1] == "done" and "error" not in names(events)
    [sql] = of(events, "sql")
    assert (sql["sql"], sql["valid"], sql["source"]) == (SQL, True, "example")
    [context] = of(events, "context")
    assert context["examples"][0]["id"] == sql["example_id"]
    assert f"#{sql['example_id']}" in of(events, "thinking")[0]["delta"]
    assert of(events, "rows")[-1]["final"]
    assert metric(page, "txt2sql_model_calls_saved_total") == 1
    assert metric(page, "txt2sql_answers_by_source_total", source="example") == 1


@pytest.mark.parametrize("variant", [f"  {QUESTION}？ ", QUESTION.upper() + "?"])
async def test_spaces_punctuation_and_width_do_not_matter(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, variant: str
) -> None:
    async with make_client(reusing(demo_db, dashscope_api_key=None)) as client:
        events = await collect(client, json={"question": variant})
    assert of(events, "sql")[0]["source"] == "example"
    assert standin.requests == []


async def test_another_question_still_needs_the_model(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(reusing(demo_db, dashscope_api_key=None)) as client:
        events = await collect(client, json={"question": QUESTION + "和出口"})
    assert [e["code"] for e in of(events, "error")] == ["missing_api_key"]


async def test_a_stale_example_falls_back_to_the_model_and_is_flagged(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    conn = await asyncpg.connect(db)
    await conn.execute("CREATE TABLE haochu (id int)")
    async with make_client(reusing(db)) as client:
        await client.post("/v1/schema/refresh")
        stored = await client.post(
            "/v1/examples", json={"question": "好处有几个", "sql": TABLE_SQL}
        )
        assert stored.status_code == 201, stored.text
        await conn.execute("DROP TABLE haochu")
        await conn.close()
        standin.push(Script(content=answer("SELECT 1")))
        events = await collect(client, json={"question": "好处有几个"})
        listed = (await client.get("/v1/examples", params={"q": "好处"})).json()
        page = (await client.get("/metrics")).text
    assert len(standin.requests) == 1
    assert of(events, "sql")[0]["source"] == "model"
    assert "haochu" in listed[0]["stale"]
    assert metric(page, "txt2sql_examples_stale_total") == 1


async def test_reuse_can_be_switched_off(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(SQL)))
    async with make_client(settings_for(demo_db, reuse_examples=False)) as client:
        events = await collect(client, json={"question": QUESTION})
    assert len(standin.requests) == 1
    assert of(events, "sql")[0]["source"] == "model"


async def test_a_follow_up_is_never_answered_from_an_example(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(reusing(demo_db)) as client:
        first = await collect(client, json={"question": QUESTION})
        conversation = of(first, "done")[0]["conversation_id"]
        standin.push(Script(content=answer(SQL)))
        events = await collect(client, json={"question": QUESTION, "conversation_id": conversation})
    assert of(events, "sql")[0]["source"] == "model"
    assert len(standin.requests) == 1


async def test_a_wider_match_can_be_allowed(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    near = QUESTION[:-1]
    settings = reusing(demo_db, dashscope_api_key=None, reuse_min_score=0.8)
    async with make_client(settings) as client:
        events = await collect(client, json={"question": near})
    assert of(events, "sql")[0]["source"] == "example"
    assert standin.requests == []


def test_a_served_demo_answers_its_questions_with_no_model_key(demo_db: str) -> None:
    """What `make run` gives a fresh machine: the demo's questions answered, rows and all."""
    with serve({"DATABASE_URL": demo_db}) as base_url:
        answered = [
            subprocess.run(
                [CLI, "ask", question, "--execute", "--url", base_url],
                capture_output=True,
                text=True,
                timeout=60,
                env={k: v for k, v in os.environ.items() if k != "TXT2SQL_API_KEY"},
            )
            for question, _ in demo_examples()[:3]
        ]
    for done in answered:
        assert done.returncode == 0, done.stderr
        assert "-- SQL (checked):" in done.stdout
        assert re.search(r"^-- \d+ rows?$", done.stdout, re.MULTILINE), done.stdout
