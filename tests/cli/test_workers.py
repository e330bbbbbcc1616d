"""`txt2sql-api serve --workers N`: one port, N processes that share metrics, quotas and the
host's stream cap, drained together on SIGTERM, the embedded database stopped after them."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from httpx_sse import aconnect_sse

from tests.cli.test_embedded import embedded_env
from tests.helpers.app import KEY, TEST_API_KEY, server_env
from tests.helpers.demo import ANSWER, DEMO_QUESTION
from tests.helpers.eventually import eventually, eventually_sync
from tests.helpers.metrics_text import metric
from tests.helpers.processes import postgres_servers
from tests.helpers.serve_process import serve_process
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

pytestmark = pytest.mark.slow

BODY = {"question": DEMO_QUESTION}
AS_KEY = {"X-API-Key": KEY}
SLOW = Script(content=ANSWER, chunk_size=2, gap=0.05)


def workers_of(pid: int) -> list[psutil.Process]:
    """The parent's workers (not multiprocessing's resource tracker beside them)."""
    return [p for p in psutil.Process(pid).children() if "spawn_main" in " ".join(p.cmdline())]


def workers_with(pid: int, port: int, status: str) -> set[int]:
    """The workers with a socket of the port in this state: LISTEN, or ESTABLISHED (serving a
    client now)."""
    return {
        worker.pid
        for worker in workers_of(pid)
        for conn in worker.net_connections(kind="tcp")
        if conn.status == status and conn.laddr.port == port
    }


def started(base_url: str, pid: int) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    eventually_sync(
        lambda: len(workers_with(pid, port, psutil.CONN_LISTEN)) == 2,
        "both workers listen",
        within=60,
    )


def serving(pid: int, port: int) -> set[int]:
    return workers_with(pid, port, psutil.CONN_ESTABLISHED)


async def read(base_url: str, seen: list[tuple[str, dict[str, Any]]]) -> None:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
        aconnect_sse(client, "POST", "/v1/ask", json=BODY, headers=AS_KEY) as source,
    ):
        async for sse in source.aiter_sse():
            seen.append((sse.event, json.loads(sse.data)))


async def live_streams(
    base_url: str, count: int
) -> tuple[list[list[Any]], list[asyncio.Task[None]]]:
    streams: list[list[Any]] = [[] for _ in range(count)]
    tasks = [asyncio.create_task(read(base_url, seen)) for seen in streams]
    await eventually(
        lambda: all(any(name == "thinking" for name, _ in seen) for seen in streams),
        "every stream has the model's first words",
    )
    return streams, tasks


def test_two_workers_share_the_port_and_add_up_their_metrics(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    standin.default = SLOW
    env = server_env(demo_db, standin_server, workers="2", max_streams_per_key="100")

    async def scenario(base_url: str, pid: int) -> tuple[set[int], list[float], list[float]]:
        streams, tasks = await live_streams(base_url, 12)
        port = int(base_url.rsplit(":", 1)[1])
        busy = serving(pid, port)
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            live = [
                metric((await client.get("/metrics")).text, "txt2sql_live_streams")
                for _ in range(6)
            ]
            await asyncio.gather(*tasks)
            answered = [
                metric((await client.get("/metrics")).text, "txt2sql_answers_total", outcome="ok")
                for _ in range(6)
            ]
        assert all(names[-1][0] == "done" for names in streams)
        return busy, live, answered

    with serve_process(env) as (base_url, process):
        assert len(workers_of(process.pid)) == 2
        started(base_url, process.pid)
        busy, live, answered = asyncio.run(scenario(base_url, process.pid))
    assert len(busy) == 2  # both workers answered some of the streams
    assert live == [12.0] * 6  # whichever worker is scraped, the host's live streams
    assert answered == [12.0] * 6


@pytest.mark.parametrize("shared", ["host", "redis"])
def test_a_key_s_stream_cap_and_the_host_s_hold_across_workers(
    demo_db: str,
    standin_server: DashScopeStandIn,
    standin: DashScopeStandIn,
    shared: str,
    request: pytest.FixtureRequest,
) -> None:
    standin.default = SLOW
    settings = {"workers": "2", "api_keys": KEY, "max_streams_per_key": "1", "max_streams": "2"}
    if shared == "redis":
        settings["redis_url"] = request.getfixturevalue("redis_server")
        settings["redis_prefix"] = f"workers-{request.node.name}:"
    env = server_env(demo_db, standin_server, **settings)

    async def scenario(base_url: str) -> tuple[list[int], list[int]]:
        _, tasks = await live_streams(base_url, 1)
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
            same_key = [
                (await client.post("/v1/ask", json=BODY, headers=AS_KEY)).status_code
                for _ in range(6)
            ]
            await asyncio.gather(*tasks)
        return same_key, []

    with serve_process(env) as (base_url, process):
        started(base_url, process.pid)
        same_key, _ = asyncio.run(scenario(base_url))
    assert same_key == [429] * 6


def test_sigterm_drains_every_worker_then_stops_the_embedded_database(
    tmp_path: Path, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=ANSWER * 50, chunk_size=2, gap=0.05)
    data_dir = tmp_path / "pgdata"
    env = embedded_env(data_dir) | {
        "DASHSCOPE_API_KEY": TEST_API_KEY,
        "DASHSCOPE_HTTP_BASE_URL": standin_server.base_url,
        "TXT2SQL_WORKERS": "2",
        "TXT2SQL_REUSE_EXAMPLES": "false",
        "TXT2SQL_SHUTDOWN_GRACE_SECONDS": "5",
        "TXT2SQL_MAX_STREAMS_PER_KEY": "100",
    }

    async def scenario(base_url: str, pid: int) -> list[list[Any]]:
        streams, tasks = await live_streams(base_url, 12)
        assert len(serving(pid, int(base_url.rsplit(":", 1)[1]))) == 2
        psutil.Process(pid).send_signal(signal.SIGTERM)
        await asyncio.gather(*tasks)
        return streams

    with serve_process(env, startup_timeout=120) as (base_url, process):
        (database,) = postgres_servers([data_dir])
        started(base_url, process.pid)
        workers = workers_of(process.pid)
        streams = asyncio.run(scenario(base_url, process.pid))
        process.wait(timeout=30)
    for events in streams:
        names = [name for name, _ in events]
        assert names[-2:] == ["error", "done"] and events[-2][1]["code"] == "shutting_down"
    assert not any(worker.is_running() for worker in workers)
    eventually_sync(lambda: not database.is_running(), "the embedded database stopped last")
