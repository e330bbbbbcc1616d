"""`/mcp` on a real `serve` process, through the official MCP client SDK: the tools and
resources, answers from the same pipeline as /v1/ask (the real dashscope SDK against the
stand-in, a real database), progress while the model reasons."""

from __future__ import annotations

import time

from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL
from tests.helpers.mcp_client import error_of, http_client, structured
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


async def test_ask_answers_the_demo_question_with_the_stand_in_s_sql(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER, chunk_size=4))
    async with http_client(demo_server) as client:
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


async def test_a_blank_question_is_a_tool_error_with_our_code(demo_server: str) -> None:
    async with http_client(demo_server) as client:
        error = error_of(await client.call_tool("ask", {"question": "  \n "}))
        # The session goes on.
        schema = structured(await client.call_tool("describe_schema", {}))

    assert error["code"] == "invalid_input"
    assert "must not be blank" in error["message"]
    assert schema["tables"]
