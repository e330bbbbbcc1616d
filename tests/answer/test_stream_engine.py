"""The streaming engine on a real server, where the network matters: graceful shutdown, a
reader that stops reading, and many clients that vanish mid-stream."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import struct
import tempfile
import time
from typing import Any

import httpx
import psutil
import pytest
from httpx_sse import aconnect_sse, connect_sse

from tests.helpers.app import server_env
from tests.helpers.eventually import eventually, eventually_sync
from tests.helpers.metrics_text import metric
from tests.helpers.serve_process import serve_process
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

pytestmark = pytest.mark.slow

QUESTION = "沈塘桥地铁站的信息"
LONG_ANSWER = "我理解您想查看沈塘桥站的基本信息。" * 200 + "\n```sql\nSELECT 1\n```\n"


def one_full_stream(base_url: str) -> list[str]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        with connect_sse(client, "POST", "/v1/ask", json={"question": QUESTION}) as source:
            assert source.response.status_code == 200
            return [sse.event for sse in source.iter_sse()]


async def _read_until_sigterm(
    base_url: str, pid: int, count: int
) -> list[list[tuple[str, dict[str, Any]]]]:

    async def one(client: httpx.AsyncClient, seen: list[tuple[str, dict[str, Any]]]) -> None:
        async with aconnect_sse(client, "POST", "/v1/ask", json={"question": QUESTION}) as source:
            async for sse in source.aiter_sse():
                seen.append((sse.event, json.loads(sse.data)))

    streams: list[list[tuple[str, dict[str, Any]]]] = [[] for _ in range(count)]
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        tasks = [asyncio.create_task(one(client, seen)) for seen in streams]
        await eventually(
            lambda: all(any(name == "thinking" for name, _ in seen) for seen in streams),
            "every stream has the model's first words",
        )
        psutil.Process(pid).send_signal(signal.SIGTERM)
        await asyncio.gather(*tasks)
    return streams


def test_sigterm_ends_open_streams_with_shutting_down_then_exits(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=LONG_ANSWER, chunk_size=4, gap=0.05)
    env = server_env(demo_db, standin_server, shutdown_grace_seconds="5")
    with serve_process(env) as (base_url, process):
        streams = asyncio.run(_read_until_sigterm(base_url, process.pid, 3))
        process.wait(timeout=15)
    for events in streams:
        names = [name for name, _ in events]
        assert names[:2] == ["context", "thinking"]
        assert names[-2:] == ["error", "done"], names[-5:]
        error = events[-2][1]
        assert error["code"] == "shutting_down" and error["retryable"] is True
        assert "sql" not in names
    # uvicorn re-raises the signal once its graceful shutdown is done, so the exit says SIGTERM.
    assert process.returncode in (0, -signal.SIGTERM)
    # Each stream's model call was cut off, not left to run to its end.
    standin.wait_for(lambda s: s.aborted == 3, timeout=5)
    assert standin.completed == 0


def _connect_small_window(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.socket()
    # A tiny receive window, set before connecting, so the server's sends back up quickly.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    return sock


def _runtime_gauges(text: str) -> tuple[float, float]:
    """Tasks on the server's event loop and its busy model-call threads, from /metrics."""
    return (
        metric(text, "txt2sql_event_loop_tasks"),
        metric(text, "txt2sql_upstream_threads", state="busy"),
    )


def runtime_gauges(base_url: str) -> tuple[float, float]:
    return _runtime_gauges(httpx.get(f"{base_url}/metrics", timeout=10).text)


async def _gauges_while_streaming(base_url: str) -> tuple[float, float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with aconnect_sse(client, "POST", "/v1/ask", json={"question": QUESTION}) as source:
            async for sse in source.aiter_sse():
                if sse.event == "thinking":
                    break
            return _runtime_gauges((await client.get("/metrics")).text)


def _post_ask(sock: socket.socket, host: str) -> None:
    body = json.dumps({"question": QUESTION}).encode()
    head = (
        f"POST /v1/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body)


def test_a_reader_that_stops_reading_is_cut_off_and_its_slot_freed(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    # Far more reasoning than the socket buffers on the way (several MB on loopback) can hold,
    # sent as fast as the server takes it, to a reader that never reads.
    standin.push(Script(reasoning="想" * 6_000_000, content=LONG_ANSWER, chunk_size=2000))
    env = server_env(demo_db, standin_server, send_timeout_seconds="0.5", max_streams="1")
    with serve_process(env) as (base_url, process):
        sock = _connect_small_window(base_url)
        try:
            _post_ask(sock, base_url.removeprefix("http://"))
            # The server stops reading the upstream too, and cuts it off after send_timeout.
            standin.wait_for(lambda s: s.aborted == 1, timeout=30)
            rss_mb = psutil.Process(process.pid).memory_info().rss / 2**20
            # The stuck reader still holds its connection, yet its only slot is free again.
            standin.push(Script(content=LONG_ANSWER))
            assert one_full_stream(base_url)[-1] == "done"
        finally:
            sock.close()
    assert standin.completed == 1  # only the second stream's
    # The 18 MB of reasoning was not buffered on the stuck reader's behalf.
    assert rss_mb < 300


def test_a_stream_still_open_when_the_grace_ends_is_cut_off_before_uvicorn_s_own_deadline(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    # A reader that never reads: its stream is stuck in a send (for up to send_timeout, 30 s)
    # and cannot end when told to.
    standin.push(Script(reasoning="想" * 6_000_000, content=LONG_ANSWER, chunk_size=2000))
    env = server_env(demo_db, standin_server, shutdown_grace_seconds="1")
    with tempfile.TemporaryFile() as log:
        with serve_process(env, log=log) as (base_url, process):
            sock = _connect_small_window(base_url)
            try:
                _post_ask(sock, base_url.removeprefix("http://"))
                standin.wait_for(lambda s: s.active == 1, timeout=10)
                time.sleep(1)  # the socket buffers on the way fill up
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=20) == -signal.SIGTERM
            finally:
                sock.close()
        log.seek(0)
        output = log.read().decode(errors="replace")
    assert "1 connection(s) still open after 1 s of grace: cut off" in output
    assert "timeout graceful shutdown exceeded" not in output
    standin.wait_for(lambda s: s.aborted == 1, timeout=5)


_last_refusal: list[bytes] = []


async def _hang_up_abruptly(host: str, port: int) -> None:
    # A stream of the wave before may not have given its slot back yet: a refusal (503/429,
    # with Retry-After) is retried shortly, as a client would.
    for _ in range(200):
        if await _stream_then_reset(host, port):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"refused 200 times in a row: {_last_refusal}")


async def _stream_then_reset(host: str, port: int) -> bool:
    """Reads until the first thinking event, then resets the connection; False if refused."""
    reader, writer = await asyncio.open_connection(host, port)
    body = json.dumps({"question": QUESTION}).encode()
    writer.write(
        f"POST /v1/ask HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    received = b""
    try:
        while b"event: thinking" not in received:
            chunk = await reader.read(4096)
            assert chunk, f"the server closed the stream early: {received[-300:]!r}"
            received += chunk
            if received.startswith((b"HTTP/1.1 503", b"HTTP/1.1 429")):
                _last_refusal[:] = [received]
                return False
        # SO_LINGER 0: close() sends a reset, as a killed process or a dropped network would.
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return True
    finally:
        writer.transport.abort()


async def _waves_of_hangups(base_url: str, waves: int, per_wave: int) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    for _ in range(waves):
        await asyncio.gather(*(_hang_up_abruptly(host, int(port)) for _ in range(per_wave)))


def test_a_thousand_abrupt_disconnects_leave_no_threads_slots_or_upstream_calls(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=LONG_ANSWER, chunk_size=4, gap=0.05)
    env = server_env(
        demo_db,
        standin_server,
        max_streams="100",
        upstream_thread_idle_seconds="0.5",
        # One client address makes all 1,000 requests: only the global ceiling is under test.
        max_streams_per_key="1000",
        rate_limit_per_minute="1000000",
        rate_limit_burst="10000",
    )
    with serve_process(env) as (base_url, process):
        server = psutil.Process(process.pid)
        # Warm: the schema, the examples and one database connection are loaded once.
        standin.push(Script(content="```sql\nSELECT 1\n```"))
        assert one_full_stream(base_url)[-1] == "done"
        eventually_sync(lambda: standin.active == 0, within=5, what="the warm-up call ended")
        time.sleep(1)  # its thread idles out
        threads_before, fds_before = server.num_threads(), server.num_fds()
        tasks_before, busy_before = runtime_gauges(base_url)
        assert busy_before == 0
        # The gauges see a live stream: its tasks and its model call's thread.
        tasks_live, busy_live = asyncio.run(_gauges_while_streaming(base_url))
        assert tasks_live > tasks_before and busy_live == 1
        eventually_sync(
            lambda: standin.aborted == 1, within=10, what="the live stream's call was cut off"
        )

        asyncio.run(_waves_of_hangups(base_url, waves=10, per_wave=100))

        eventually_sync(
            lambda: standin.aborted == 1001, within=30, what="every upstream call was cut off"
        )
        eventually_sync(
            lambda: standin.active == 0, within=10, what="no upstream call is still open"
        )
        eventually_sync(
            lambda: server.num_threads() == threads_before,
            within=10,
            what=f"threads back to {threads_before} (now {server.num_threads()})",
        )
        eventually_sync(
            lambda: server.num_fds() <= fds_before,
            within=10,
            what=f"file descriptors back to {fds_before} (now {server.num_fds()})",
        )
        eventually_sync(
            lambda: runtime_gauges(base_url) == (tasks_before, 0),
            within=10,
            what=f"event-loop tasks back to {tasks_before}, no busy model thread "
            f"(now {runtime_gauges(base_url)})",
        )
        # max_streams is 100: had any of the 1,000 streams kept its slot, this would be a 503.
        standin.push(Script(content="```sql\nSELECT 1\n```"))
        assert one_full_stream(base_url)[-1] == "done"
    assert standin.completed == 2


def test_no_middleware_that_buffers_or_breaks_streams() -> None:
    from starlette.middleware.base import BaseHTTPMiddleware
    from starlette.middleware.gzip import GZipMiddleware

    from txt2sql_api.app import create_app
    from txt2sql_api.config import Settings

    app = create_app(Settings(_env_file=None, cors_origins=["http://localhost:3000"]))  # type: ignore[call-arg]
    classes = [m.cls for m in app.user_middleware]
    assert classes, "the app's middleware list is empty: this test would check nothing"
    for cls in classes:
        assert isinstance(cls, type) and not issubclass(cls, BaseHTTPMiddleware | GZipMiddleware)
