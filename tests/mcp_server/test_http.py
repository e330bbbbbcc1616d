"""`/mcp` on a real `serve` process, through the official MCP client SDK: the tools and
resources, answers from the same pipeline as /v1/ask (the real dashscope SDK against the
stand-in, a real database), progress while the model reasons."""

from __future__ import annotations

import json
import signal
import time
import uuid
from functools import partial

import anyio
import httpx
import pytest
from httpx_sse import EventSource
from mcp.client.client import ConnectMode

from tests.helpers.app import demo_server_env, server_env
from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL, answer
from tests.helpers.eventually import eventually
from tests.helpers.mcp_client import error_of, http_client, structured
from tests.helpers.metrics_text import metric
from tests.helpers.pg import checksum, wait_for_activity
from tests.helpers.serve_process import serve, serve_process
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script


async def test_lists_the_tools_with_their_schemas_and_hints_and_the_resources(
    demo_server: str,
) -> None:
    async with http_client(demo_server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        resources = {str(r.uri): r for r in (await client.list_resources()).resources}

    assert sorted(tools) == ["add_example", "ask", "describe_schema"]
    ask = tools["ask"]
    assert ask.input_schema["required"] == ["question"]
    assert set(ask.input_schema["properties"]) == {"question", "execute", "conversation_id"}
    assert ask.output_schema is not None
    assert {"sql", "valid", "problems", "tables", "rows", "request_id"} <= set(
        ask.output_schema["properties"]
    )
    assert ask.annotations is not None and ask.annotations.read_only_hint is True
    describe = tools["describe_schema"].annotations
    assert describe is not None and describe.read_only_hint is True
    add = tools["add_example"].annotations
    assert add is not None and add.read_only_hint is False and add.destructive_hint is False
    assert all(tool.description for tool in tools.values())
    assert sorted(resources) == ["examples://list", "schema://tables"]
    assert {r.mime_type for r in resources.values()} == {"application/json"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_ask_answers_the_demo_question_with_the_stand_in_s_sql(
    demo_server: str, standin: DashScopeStandIn, mode: ConnectMode
) -> None:
    standin.push(Script(content=ANSWER, chunk_size=4))
    async with http_client(demo_server, mode=mode) as client:
        answer = structured(await client.call_tool("ask", {"question": DEMO_QUESTION}))

    assert answer["sql"] == DEMO_SQL
    assert (answer["valid"], answer["problems"], answer["tables"]) == (True, [], ["dtzpt"])
    assert answer["rows"] is None
    assert answer["request_id"] and answer["conversation_id"]
    prompt = standin.requests[-1]["body"]["input"]["messages"][-1]["content"]
    assert DEMO_QUESTION in prompt


async def test_with_execute_the_rows_come_back(demo_server: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(content=ANSWER))
    async with http_client(demo_server) as client:
        result = await client.call_tool("ask", {"question": DEMO_QUESTION, "execute": True})
    answer = structured(result)

    assert answer["valid"] is True
    assert answer["row_count"] == len(answer["rows"]) == 1
    names = [column["name"] for column in answer["columns"]]
    assert answer["rows"][0][names.index("zdmc")] == "沈塘桥"
    assert answer["truncated"] is False


async def test_the_reasoning_arrives_as_progress_before_the_result(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(reasoning="先找站点表。" * 20, content=ANSWER, chunk_size=3, gap=0.01))
    progress: list[tuple[float, str | None, float]] = []

    async def on_progress(step: float, _total: float | None, message: str | None) -> None:
        progress.append((step, message, time.monotonic()))

    async with http_client(demo_server) as client:
        result = await client.call_tool(
            "ask", {"question": DEMO_QUESTION}, progress_callback=on_progress
        )
        answered = time.monotonic()

    assert structured(result)["sql"] == DEMO_SQL
    messages = "".join(message or "" for _, message, _ in progress)
    assert "先找站点表。" * 20 in messages
    assert "public.dtzpt" in messages  # what the model is shown, first
    assert messages.index("public.dtzpt") < messages.index("先找站点表")
    steps = [step for step, _, _ in progress]
    assert steps == sorted(set(steps))
    assert all(at < answered for _, _, at in progress)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_no_stream_or_session_is_kept_by_the_server(demo_server: str, method: str) -> None:
    """Stateless: the server never calls the client back (no GET stream) and keeps no session
    to end (no DELETE)."""
    headers = {"Accept": "text/event-stream"}
    response = httpx.request(method, f"{demo_server}/mcp", headers=headers, timeout=5)
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


async def test_a_blank_question_is_a_tool_error_with_our_code(demo_server: str) -> None:
    async with http_client(demo_server) as client:
        error = error_of(await client.call_tool("ask", {"question": "  \n "}))
        # The session goes on.
        schema = structured(await client.call_tool("describe_schema", {}))

    assert error["code"] == "invalid_input"
    assert "must not be blank" in error["message"]
    assert schema["tables"]


@pytest.mark.parametrize(
    "hostile",
    ["DROP TABLE dtzpt", "UPDATE dtzpt SET zdmc = 'x'", "SELECT 1; DELETE FROM dtzpt"],
)
async def test_hostile_sql_from_the_model_comes_back_invalid_and_is_never_run(
    demo_server: str, demo_db: str, standin: DashScopeStandIn, hostile: str
) -> None:
    before = await checksum(demo_db)
    standin.default = Script(content=answer(hostile))
    async with http_client(demo_server) as client:
        result = await client.call_tool("ask", {"question": DEMO_QUESTION, "execute": True})
    answer_ = structured(result)

    assert answer_["sql"] == hostile
    assert answer_["valid"] is False
    assert answer_["problems"]
    assert (answer_["rows"], answer_["row_count"]) == (None, None)
    assert await checksum(demo_db) == before


CALL = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "tools/call",
    "params": {
        "name": "ask",
        "arguments": {"question": DEMO_QUESTION},
        "_meta": {"progressToken": "p"},
    },
}


async def _first_progress_then_hang_up(base_url: str) -> float:
    """A tools/call as a client of the 2025 wire sends it, read to its first reasoning
    (a progress notification), then the connection closed; says when."""
    headers = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with client.stream("POST", "/mcp", json=CALL, headers=headers) as response:
            assert response.status_code == 200
            async for sse in EventSource(response).aiter_sse():
                if "我理" in sse.data:
                    break
    return time.monotonic()


async def _nothing_left_running(base_url: str) -> bool:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    busy = metric(text, "txt2sql_upstream_threads", state="busy")
    return metric(text, "txt2sql_live_streams") == 0 and busy == 0


async def test_a_client_that_hangs_up_cuts_the_model_call_off(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=ANSWER * 50, chunk_size=2, gap=0.05)
    for count in (1, 2):
        hung_up = await _first_progress_then_hang_up(demo_server)
        await eventually(
            lambda n=count: standin.aborted == n, "the stand-in saw the call cut off", within=1.0
        )
        assert time.monotonic() - hung_up < 1.0
    assert standin.completed == 0
    await eventually(
        lambda: _nothing_left_running(demo_server),
        "no live stream or busy model call left",
    )


async def test_a_call_the_sdk_cancels_cuts_the_model_call_off(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=ANSWER * 50, chunk_size=2, gap=0.05)
    reasoning = anyio.Event()

    async def on_progress(_step: float, _total: float | None, message: str | None) -> None:
        if message and "我理" in message:
            reasoning.set()

    async with http_client(demo_server) as client, anyio.create_task_group() as calls:
        calls.start_soon(
            partial(client.call_tool, progress_callback=on_progress),
            "ask",
            {"question": DEMO_QUESTION},
        )
        await reasoning.wait()
        calls.cancel_scope.cancel()
    await eventually(lambda: standin.aborted == 1, "the stand-in saw the call cut off")
    assert standin.completed == 0


@pytest.mark.parametrize("version", [None, "2025-06-18"])
async def test_the_answer_s_request_id_is_the_http_request_s(
    demo_server: str, standin: DashScopeStandIn, version: str | None
) -> None:
    """So that the access log, the answer's log line and feedback name the same request."""
    standin.push(Script(content=ANSWER))
    headers = {"Accept": "application/json, text/event-stream", "X-Request-ID": "mcp-req-1"}
    if version:
        headers["MCP-Protocol-Version"] = version
    async with httpx.AsyncClient(base_url=demo_server, timeout=30) as client:
        async with client.stream("POST", "/mcp", json=CALL, headers=headers) as response:
            events = [sse async for sse in EventSource(response).aiter_sse()]
    result = json.loads(events[-1].data)["result"]
    assert response.headers["x-request-id"] == "mcp-req-1"
    assert result["structuredContent"]["request_id"] == "mcp-req-1"


@pytest.mark.slow
async def test_a_client_that_hangs_up_cancels_the_running_query(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    marker = f"mcp_cancel_{uuid.uuid4().hex[:8]}"
    slow = (
        f"SELECT count(*) AS {marker} "
        "FROM generate_series(1, 100000) AS a, generate_series(1, 100000) AS b"
    )
    standin.default = Script(content=answer(slow))
    call = {**CALL, "params": {"name": "ask", "arguments": {"question": "数一数", "execute": True}}}
    headers = {"Accept": "application/json, text/event-stream"}

    async def ask_and_wait(base_url: str) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
            async with client.stream("POST", "/mcp", json=call, headers=headers) as response:
                async for _ in response.aiter_bytes():
                    pass

    # A statement timeout past the wait below: the query ends because the client left.
    with serve(server_env(demo_db, standin, statement_timeout_seconds="60")) as base_url:
        async with anyio.create_task_group() as asking:
            asking.start_soon(ask_and_wait, base_url)
            await wait_for_activity(demo_db, marker, present=True)
            asking.cancel_scope.cancel()  # the connection closes
        await wait_for_activity(demo_db, marker, present=False)


@pytest.mark.slow
async def test_on_sigterm_an_answer_in_flight_ends_with_a_shutting_down_tool_error(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.default = Script(content=ANSWER * 50, chunk_size=2, gap=0.05)
    headers = {"Accept": "application/json, text/event-stream"}
    with serve_process(demo_server_env(demo_db, standin)) as (base_url, process):
        reasoning, messages = anyio.Event(), []

        async def ask() -> None:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                async with client.stream("POST", "/mcp", json=CALL, headers=headers) as answer:
                    async for sse in EventSource(answer).aiter_sse():
                        if "我理" in sse.data:
                            reasoning.set()
                        if sse.data:
                            messages.append(json.loads(sse.data))

        async with anyio.create_task_group() as asking:
            asking.start_soon(ask)
            await reasoning.wait()
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == -signal.SIGTERM
    (response,) = [message for message in messages if message.get("id") == CALL["id"]]
    result = response["result"]
    assert result["isError"] is True
    assert result["structuredContent"]["code"] == "shutting_down"
    assert result["structuredContent"]["retryable"] is True
    # The model call was cut off, not left to run to its end.
    assert (standin.aborted, standin.completed) == (1, 0)
