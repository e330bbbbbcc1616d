"""/v1/schema, /v1/examples, /healthz and /readyz against a real database."""

from __future__ import annotations

import logging

import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.pg import Databases
from txt2sql_api.demo.loader import demo_examples, load_demo


async def test_health_and_readiness(demo_db: str, make_client: ClientFactory) -> None:
    async with make_client(settings_for(demo_db)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "detail": None}
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_schema_shows_demo_tables_with_comments_but_never_the_service_schema(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        response = await client.get("/v1/schema")
    assert response.status_code == 200
    tables = {t["name"]: t for t in response.json()["tables"]}
    assert "dtzpt" in tables
    assert tables["dtzpt"]["comment"]
    assert all(c["comment"] for c in tables["dtzpt"]["columns"])
    assert tables["dtzpt"]["primary_key"]
    assert any(t["foreign_keys"] for t in tables.values())
    assert all(t["schema_name"] == "public" for t in tables.values())


async def test_examples_are_stored_listed_and_used_in_the_next_prompt(
    databases: Databases, make_client: ClientFactory
) -> None:
    url = await databases.create()
    seeded = await load_demo(url)
    assert seeded == len(demo_examples())
    async with make_client(settings_for(url)) as client:
        created = await client.post(
            "/v1/examples",
            json={"question": "  换乘站有哪些  ", "sql": "SELECT * FROM hczxx"},
        )
        listed = await client.get("/v1/examples", params={"limit": 1000})
    assert created.status_code == 201
    example = created.json()
    assert example["question"] == "换乘站有哪些"
    assert example["source"] == "api"
    questions = [e["question"] for e in listed.json()]
    assert len(questions) == seeded + 1
    assert questions[-1] == "换乘站有哪些"


async def test_example_with_bad_sql_is_refused_with_the_reason(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        write = await client.post(
            "/v1/examples", json={"question": "q", "sql": "DELETE FROM dtzpt"}
        )
        garbage = await client.post("/v1/examples", json={"question": "q", "sql": "SELEC 1 FRM"})
        blank = await client.post("/v1/examples", json={"question": " ", "sql": "SELECT 1"})
    assert write.status_code == 422
    assert write.json()["detail"][0]["code"] == "not_read_only"
    assert garbage.status_code == 422
    assert garbage.json()["detail"][0]["code"] == "parse_error"
    assert blank.status_code == 422


async def test_paging_examples(demo_db: str, make_client: ClientFactory) -> None:
    async with make_client(settings_for(demo_db)) as client:
        first = (await client.get("/v1/examples", params={"limit": 2})).json()
        second = (await client.get("/v1/examples", params={"limit": 2, "offset": 2})).json()
        bad = await client.get("/v1/examples", params={"limit": 0})
    assert len(first) == len(second) == 2
    assert {e["id"] for e in first}.isdisjoint(e["id"] for e in second)
    assert bad.status_code == 422


async def test_startup_warns_when_the_role_can_write(
    demo_db: str, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="txt2sql_api.wiring"):
        async with make_client(settings_for(demo_db)):
            pass
    (warning,) = [r.getMessage() for r in caplog.records if "SELECT only" in r.getMessage()]
    assert "public.dtzpt" in warning
