"""The LLM adapter: the real SDK in a worker thread, against the stand-in."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.conftest import TEST_API_KEY
from tests.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.llm import (
    DashScopeClient,
    LlmChunk,
    ReasoningDelta,
    TextDelta,
    UpstreamError,
    Usage,
)

MESSAGES = [{"role": "user", "content": "沈塘桥地铁站的信息"}]


def client(**overrides: float) -> DashScopeClient:
    timeouts = {"first_token_timeout": 10.0, "idle_timeout": 10.0} | overrides
    return DashScopeClient(api_key=TEST_API_KEY, model="qwen-plus", **timeouts)


def stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dashscope-stream"]


async def wait_until_no_stream_threads() -> None:
    for _ in range(500):
        if not stream_threads():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"worker threads still alive: {stream_threads()}")


async def test_reasoning_then_text_then_usage(standin: DashScopeStandIn) -> None:
    standin.push(
        Script(reasoning="想一想", content="好的", chunk_size=1, usage={"input_tokens": 7})
    )
    chunks: list[LlmChunk] = [c async for c in client().stream(MESSAGES)]
    assert chunks[:3] == [ReasoningDelta("想"), ReasoningDelta("一"), ReasoningDelta("想")]
    assert chunks[3:5] == [TextDelta("好"), TextDelta("的")]
    (usage,) = chunks[5:]
    assert isinstance(usage, Usage)
    assert usage.input_tokens == 7
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.request_id
    await wait_until_no_stream_threads()


async def test_closing_the_stream_stops_the_upstream_read(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="x" * 100, chunk_size=1, gap=0.05))
    stream = client().stream(MESSAGES)
    assert await anext(stream) == TextDelta("x")
    await stream.aclose()
    standin.wait_for(lambda s: s.aborted == 1, timeout=2)
    assert standin.completed == 0
    await wait_until_no_stream_threads()


async def test_cancelling_while_waiting_for_the_first_token_stops_it(
    standin: DashScopeStandIn,
) -> None:
    standin.push(Script(content="x", first_delay=30))

    async def consume() -> None:
        async for _ in client().stream(MESSAGES):
            pass

    task = asyncio.create_task(consume())
    await asyncio.to_thread(standin.wait_for, lambda s: s.started == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.to_thread(standin.wait_for, lambda s: s.aborted == 1, 2)
    await wait_until_no_stream_threads()


async def test_idle_deadline_between_tokens(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="ab", chunk_size=1, gap=30))
    seen: list[LlmChunk] = []
    with pytest.raises(UpstreamError) as raised:
        async for chunk in client(idle_timeout=0.3).stream(MESSAGES):
            seen.append(chunk)
    assert seen == [TextDelta("a")]
    assert raised.value.code == "upstream_timeout"
    await asyncio.to_thread(standin.wait_for, lambda s: s.aborted == 1, 2)
