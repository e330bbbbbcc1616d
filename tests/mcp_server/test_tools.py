"""`describe_schema`, `add_example` and the resources: the same code as /v1/schema and
POST /v1/examples, their checks included; the app in process, reached by the MCP client SDK."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp_types import TextResourceContents

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import DEMO_QUESTION, PAIR
from tests.helpers.mcp_client import app_client, error_of, structured
from tests.helpers.pg import Databases, new_demo_database


@pytest.fixture
async def db(databases: Databases) -> str:
    """A demo database of this test's own: these tests write examples."""
    return await new_demo_database(databases)


async def _resource(client: object, uri: str) -> object:
    result = await client.read_resource(uri)  # type: ignore[attr-defined]
    (content,) = result.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/json"
    return json.loads(content.text)


def _scored(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [choice for choice in view["selection"]["tables"] if choice["score"] > 0]


def _names(view: dict[str, Any]) -> set[str]:
    return {f"{table['schema_name']}.{table['name']}" for table in view["tables"]}


async def test_describe_schema_tells_the_tables_a_question_gets_as_v1_does(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db)) as http:
        v1 = (await http.get("/v1/schema", params={"question": DEMO_QUESTION})).json()
    async with app_client(settings_for(demo_db)) as client:
        chosen = structured(await client.call_tool("describe_schema", {"question": DEMO_QUESTION}))
        whole = structured(await client.call_tool("describe_schema", {}))
        shown = await _resource(client, "schema://tables")

    # Not equal to the digit: the examples' similarities move once the database's values,
    # read in the background, mask the stored questions.
    best, v1_best = _scored(chosen)[0], _scored(v1)[0]
    assert best["table"] == v1_best["table"] == "public.dtzpt"
    assert best["reasons"][0] == v1_best["reasons"][0] == "value '沈塘桥' in zdmc"
    assert _names(chosen) == _names(v1)
    assert whole["selection"] is None
    assert whole["tables"] == shown["tables"]  # type: ignore[index]
    assert chosen["tables"][0]["name"] == "dtzpt"  # ranked for the question


async def test_add_example_stores_a_checked_pair_and_the_list_shows_it(db: str) -> None:
    async with app_client(settings_for(db)) as client:
        before = await _resource(client, "examples://list")
        added = structured(await client.call_tool("add_example", PAIR))
        again = structured(await client.call_tool("add_example", PAIR))
        after = await _resource(client, "examples://list")

    assert added["outcome"] == "added"
    assert added["example"]["question"] == PAIR["question"]
    assert again["outcome"] == "unchanged"
    assert after["total"] == before["total"] + 1  # type: ignore[index]
    assert PAIR["sql"] in [example["sql"] for example in after["examples"]]  # type: ignore[index]


@pytest.mark.parametrize(
    ("sql", "problem"),
    [("DELETE FROM dtzpt", "not_read_only"), ("SELECT nope FROM dtzpt", "query_failed")],
)
async def test_add_example_refuses_sql_the_checks_refuse_with_their_problems(
    db: str, sql: str, problem: str
) -> None:
    async with app_client(settings_for(db)) as client:
        before = await _resource(client, "examples://list")
        error = error_of(await client.call_tool("add_example", {"question": "删掉", "sql": sql}))
        after = await _resource(client, "examples://list")

    assert error["code"] == "sql_refused"
    assert [p["code"] for p in error["problems"]] == [problem]
    assert after == before


async def test_a_blank_pair_is_invalid_input(db: str) -> None:
    async with app_client(settings_for(db)) as client:
        error = error_of(
            await client.call_tool("add_example", {"question": " ", "sql": "SELECT 1"})
        )
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("question")


async def test_without_a_database_the_tools_say_so() -> None:
    async with app_client(settings_for(None)) as client:
        error = error_of(await client.call_tool("describe_schema", {}))
        asked = error_of(await client.call_tool("ask", {"question": DEMO_QUESTION}))
    assert error["code"] == asked["code"] == "database_unavailable"


async def test_a_question_past_the_length_limit_is_invalid_input(demo_db: str) -> None:
    async with app_client(settings_for(demo_db, max_question_chars=10)) as client:
        long = "沈塘桥地铁站的基本信息是什么"
        errors = [
            error_of(await client.call_tool(tool, {"question": long}))
            for tool in ("describe_schema", "ask")
        ]
    assert [error["code"] for error in errors] == ["invalid_input", "invalid_input"]
    assert {error["message"] for error in errors} == {
        "question: the question is longer than 10 characters"
    }
