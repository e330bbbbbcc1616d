"""End to end through a real `txt2sql-api serve` process, the real SDK and the stand-in."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from tests.helpers.app import TEST_API_KEY, demo_server_env
from tests.helpers.pg import wait_for_activity
from tests.helpers.serve_process import CLI, free_port, serve, serve_process
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

pytestmark = pytest.mark.slow


QUESTION = "沈塘桥地铁站的信息"
SQL = "SELECT zdmc, xlbh FROM dtzpt WHERE zdmc = '沈塘桥'"
ANSWER = f"要查沈塘桥站，用站点表 dtzpt 按站名过滤。\n```sql\n{SQL}\n```\n"


@pytest.fixture
def server(demo_server: str) -> str:
    return demo_server


def stream(base_url: str, method: str, **kwargs: Any) -> list[tuple[str, dict[str, Any]]]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        with connect_sse(client, method, "/v1/ask", **kwargs) as source:
            assert source.response.status_code == 200
            return [(sse.event, json.loads(sse.data)) for sse in source.iter_sse()]


def test_demo_question_end_to_end(server: str, standin: DashScopeStandIn) -> None:
    standin.push(
        Script(
            content=ANSWER, chunk_size=4, gap=0.01, usage={"input_tokens": 900, "output_tokens": 60}
        )
    )
    events = stream(server, "POST", json={"question": QUESTION})
    order = [name for name, _ in events]
    assert order.index("thinking") < order.index("sql") < order.index("usage")
    assert order[-1] == "done"
    sql = next(data for name, data in events if name == "sql")
    assert sql["sql"] == SQL and sql["valid"] is True
    usage = next(data for name, data in events if name == "usage")
    assert (usage["input_tokens"], usage["output_tokens"]) == (900, 60)
    sent = standin.requests[-1]["body"]["input"]["messages"][-1]["content"]
    assert "dtzpt" in sent and QUESTION in sent


def test_browser_style_get(server: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(content=ANSWER))
    events = stream(server, "GET", params={"question": QUESTION})
    assert [name for name, _ in events][-1] == "done"
    assert any(name == "sql" for name, _ in events)


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("POST", {"json": {"question": ""}}),
        ("POST", {"json": {"question": "x" * 2001}}),
        ("POST", {"content": b"not json", "headers": {"content-type": "application/json"}}),
        ("GET", {"params": {"question": " "}}),
        ("GET", {}),
    ],
)
def test_bad_input_is_4xx(server: str, method: str, kwargs: dict[str, Any]) -> None:
    response = httpx.request(method, f"{server}/v1/ask", timeout=10, **kwargs)
    assert response.status_code == 422


def test_docs_and_schema_are_served(server: str) -> None:
    assert httpx.get(f"{server}/docs", timeout=10).status_code == 200
    tables = httpx.get(f"{server}/v1/schema", timeout=10).json()["tables"]
    assert any(t["name"] == "dtzpt" for t in tables)


def test_serve_without_database_url_runs_an_embedded_demo_database(
    tmp_path: Path, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    env = {
        "TXT2SQL_DATA_DIR": str(tmp_path / "pgdata"),
        "DASHSCOPE_API_KEY": TEST_API_KEY,
        "DASHSCOPE_HTTP_BASE_URL": standin_server.base_url,
    }
    with serve(env, startup_timeout=120) as base_url:
        assert httpx.get(f"{base_url}/readyz", timeout=10).status_code == 200
        examples = httpx.get(f"{base_url}/v1/examples", timeout=10).json()
        assert any(e["question"] == QUESTION for e in examples)
        standin.push(Script(content=ANSWER))
        events = stream(base_url, "POST", json={"question": QUESTION})
    assert any(name == "sql" for name, _ in events)


def test_a_client_that_hangs_up_stops_the_upstream_call(
    server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER * 20, chunk_size=2, gap=0.05))
    with httpx.Client(base_url=server, timeout=30) as client:
        with connect_sse(client, "POST", "/v1/ask", json={"question": QUESTION}) as source:
            events = source.iter_sse()
            context, first = next(events), next(events)
    assert (context.event, first.event) == ("context", "thinking")
    standin.wait_for(lambda s: s.aborted == 1, timeout=5)
    assert standin.completed == 0


def test_hanging_up_during_execution_cancels_the_query(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    marker = f"hangup_{uuid.uuid4().hex[:8]}"
    slow = f"SELECT count(*) AS {marker} FROM zdkl_rtj a, zdkl_rtj b, zdkl_rtj c"
    env = demo_server_env(demo_db, standin_server) | {"TXT2SQL_STATEMENT_TIMEOUT_SECONDS": "120"}
    standin.push(Script(content=f"慢查询。\n```sql\n{slow}\n```"))
    with serve(env) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        body = {"question": QUESTION, "execute": True}
        with connect_sse(client, "POST", "/v1/ask", json=body) as source:
            events = source.iter_sse()
            while next(events).event != "sql":
                pass
            asyncio.run(wait_for_activity(demo_db, marker, present=True))
        asyncio.run(wait_for_activity(demo_db, marker, present=False))


def test_settings_in_a_dotenv_file_reach_the_service_and_the_sdk(
    tmp_path: Path, demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    # Nothing in the process environment: the SDK alone would call the public endpoint.
    (tmp_path / ".env").write_text(
        f"DATABASE_URL={demo_db}\n"
        f"DASHSCOPE_API_KEY={TEST_API_KEY}\n"
        f"DASHSCOPE_HTTP_BASE_URL={standin_server.base_url}\n"
        # The question is a verified one: without this it would never reach the model.
        "TXT2SQL_REUSE_EXAMPLES=false\n",
        encoding="utf-8",
    )
    standin.push(Script(content=ANSWER))
    with serve_process({}, cwd=tmp_path) as (base_url, _):
        events = stream(base_url, "POST", json={"question": QUESTION})
    assert [data["sql"] for name, data in events if name == "sql"] == [SQL]
    assert standin.requests[-1]["headers"]["authorization"] == f"Bearer {TEST_API_KEY}"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://shop:secret@db:3306/shop", "its scheme is mysql://, not postgresql://"),
        ("postgresql://shop:se@cret@db:5432/shop", "more than one @"),
    ],
)
def test_a_database_url_that_cannot_work_stops_serve_at_once(
    tmp_path: Path, url: str, says: str
) -> None:
    done = subprocess.run(
        [CLI, "serve", "--port", str(free_port())],
        env={**os.environ, "DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert f"DATABASE_URL: not a PostgreSQL URL: {says}" in done.stderr
    assert "secret" not in done.stderr and "cret" not in done.stderr
