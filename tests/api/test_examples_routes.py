"""/v1/examples: store, list, search, read, replace and delete pairs; the SQL checked by the
guard and by EXPLAIN against the database; the next prompt uses what changed at once."""

from __future__ import annotations

import json

import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import PAIR, prompt_for
from tests.helpers.pg import Databases, new_demo_database
from tests.helpers.standin.dashscope_server import DashScopeStandIn


@pytest.fixture
async def db(databases: Databases) -> str:
    """A demo database of this test's own: these tests write examples."""
    return await new_demo_database(databases)


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


async def test_a_new_pair_is_stored_and_leads_the_next_prompt(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        created = await client.post("/v1/examples", json={**PAIR, "note": "备注", "tags": ["站"]})
        prompt = await prompt_for(client, standin, "沈塘桥站有几个出口？")
    assert created.status_code == 201
    body = created.json()
    assert (body["question"], body["note"], body["tags"], body["source"]) == (
        PAIR["question"],
        "备注",
        ["站"],
        "api",
    )
    examples = prompt.split("<examples>\n")[1].split("\n</examples>")[0]
    assert examples.startswith(f"Question: {quoted(PAIR['question'])}\n```sql\n")


async def test_posting_a_stored_question_again_replaces_its_pair(
    db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        first = await client.post("/v1/examples", json=PAIR)
        same = await client.post("/v1/examples", json=PAIR)
        other_sql = {**PAIR, "sql": "SELECT zdmc, ckgs FROM dtzpt WHERE zdmc = '沈塘桥'"}
        replaced = await client.post("/v1/examples", json=other_sql)
    assert (first.status_code, same.status_code, replaced.status_code) == (201, 200, 200)
    assert same.json() == first.json()
    assert replaced.json()["id"] == first.json()["id"]
    assert replaced.json()["sql"] == other_sql["sql"]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("DELETE FROM dtzpt", "not_read_only"),
        ("SELEC 1 FRM", "parse_error"),
        ("SELECT * FROM txt2sql.examples", "unknown_table"),
        ("SELECT no_such_column FROM dtzpt", "query_failed"),
        ("SELECT * FROM dtzpt WHERE zdxh = 'not a number'", "query_failed"),
    ],
)
async def test_sql_that_fails_a_check_is_refused_with_the_reason(
    demo_db: str, make_client: ClientFactory, sql: str, code: str
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        refused = await client.post("/v1/examples", json={"question": "问题", "sql": sql})
        listed = await client.get("/v1/examples", params={"q": "问题", "limit": 1000})
    assert refused.status_code == 422
    (problem,) = [p for p in refused.json()["detail"] if p["code"] == code]
    assert problem["loc"] == ["body", "sql"]
    assert problem["message"]
    assert listed.json() == []


async def test_list_pages_searches_and_counts(demo_db: str, make_client: ClientFactory) -> None:
    async with make_client(settings_for(demo_db)) as client:
        first = await client.get("/v1/examples", params={"limit": 2})
        second = await client.get("/v1/examples", params={"limit": 2, "offset": 2})
        found = await client.get("/v1/examples", params={"q": "沈塘桥"})
        bad = await client.get("/v1/examples", params={"limit": 0})
    assert len(first.json()) == len(second.json()) == 2
    assert {e["id"] for e in first.json()}.isdisjoint(e["id"] for e in second.json())
    assert first.headers["X-Total-Count"] == "31"
    questions = [e["question"] for e in found.json()]
    assert questions and all("沈塘桥" in q for q in questions)
    assert found.headers["X-Total-Count"] == str(len(questions))
    assert bad.status_code == 422


async def test_read_replace_and_delete_by_id(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    edited = {"question": "沈塘桥站的出口数量", "sql": PAIR["sql"], "tags": ["出口"]}
    async with make_client(settings_for(db)) as client:
        example_id = (await client.post("/v1/examples", json=PAIR)).json()["id"]
        read = await client.get(f"/v1/examples/{example_id}")
        put = await client.put(f"/v1/examples/{example_id}", json=edited)
        after_edit = await prompt_for(client, standin, "沈塘桥站的出口数量")
        bad_put = await client.put(f"/v1/examples/{example_id}", json={**edited, "sql": "DROP"})
        taken = await client.put(
            f"/v1/examples/{example_id}", json={**edited, "question": "沈塘桥地铁站的信息"}
        )
        deleted = await client.delete(f"/v1/examples/{example_id}")
        after_delete = await prompt_for(client, standin, "沈塘桥站的出口数量")
        gone = [
            await client.get(f"/v1/examples/{example_id}"),
            await client.put(f"/v1/examples/{example_id}", json=edited),
            await client.delete(f"/v1/examples/{example_id}"),
        ]
    assert read.status_code == 200 and read.json()["question"] == PAIR["question"]
    assert put.status_code == 200
    assert (put.json()["id"], put.json()["question"], put.json()["tags"]) == (
        example_id,
        edited["question"],
        ["出口"],
    )
    assert f"Question: {quoted(edited['question'])}\n```sql" in after_edit
    assert bad_put.status_code == 422
    assert taken.status_code == 409
    assert deleted.status_code == 200 and deleted.json()["id"] == example_id
    assert f"Question: {quoted(edited['question'])}\n```sql" not in after_delete
    assert [r.status_code for r in gone] == [404, 404, 404]
    assert gone[0].json()["detail"] == f"no example has id {example_id}"


async def test_ids_out_of_range_are_a_422(demo_db: str, make_client: ClientFactory) -> None:
    async with make_client(settings_for(demo_db)) as client:
        statuses = [
            (await client.get(f"/v1/examples/{value}")).status_code
            for value in ("0", "-1", str(2**63), "abc")
        ]
    assert statuses == [422] * 4
