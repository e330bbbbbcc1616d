"""The LLM adapter: the real SDK in a worker thread, against the stand-in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dashscope
import pytest

from tests.helpers.app import TEST_API_KEY, settings_for
from tests.helpers.eventually import eventually
from tests.helpers.serve_process import free_port
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from tests.helpers.tcp_proxy import proxy_to
from txt2sql_api.llm.calls import model_thinks
from txt2sql_api.llm.dashscope import (
    DashScopeClient,
    LlmChunk,
    ReasoningDelta,
    TextDelta,
    UpstreamError,
    Usage,
)

MESSAGES = [{"role": "user", "content": "沈塘桥地铁站的信息"}]


@contextmanager
def sdk_base_url(url: str) -> Iterator[None]:
    previous = dashscope.base_http_api_url
    dashscope.base_http_api_url = url
    try:
        yield
    finally:
        dashscope.base_http_api_url = previous


def client(model: str = "qwen-plus", **overrides: float) -> DashScopeClient:
    timeouts = {"first_token_timeout": 10.0, "idle_timeout": 10.0} | overrides
    return DashScopeClient(api_key=TEST_API_KEY, model=model, thread_idle_seconds=0.05, **timeouts)


async def wait_until_threads_end(llm: DashScopeClient) -> None:
    """The call is over (no busy thread) and, once idle, its threads have exited."""
    await eventually(
        lambda: llm.threads.busy == 0 and llm.threads.alive == 0, "the call's threads ended"
    )


async def test_reasoning_then_text_then_usage(standin: DashScopeStandIn) -> None:
    standin.push(
        Script(reasoning="想一想", content="好的", chunk_size=1, usage={"input_tokens": 7})
    )
    llm = client()
    chunks: list[LlmChunk] = [c async for c in llm.stream(MESSAGES)]
    # Frames that arrive together may be merged into one chunk: compare the texts in order.
    kinds = [type(c) for c in chunks]
    assert kinds == sorted(kinds, key=[ReasoningDelta, TextDelta, Usage].index)
    assert "".join(c.text for c in chunks if isinstance(c, ReasoningDelta)) == "想一想"
    assert "".join(c.text for c in chunks if isinstance(c, TextDelta)) == "好的"
    usage = chunks[-1]
    assert isinstance(usage, Usage)
    assert usage.input_tokens == 7
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.request_id
    await wait_until_threads_end(llm)


async def test_frames_apart_in_time_stay_separate_chunks(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="abc", chunk_size=1, gap=0.05))
    chunks = [c async for c in client().stream(MESSAGES)]
    assert chunks[:3] == [TextDelta("a"), TextDelta("b"), TextDelta("c")]


async def test_frames_waiting_together_are_merged_in_order(standin: DashScopeStandIn) -> None:
    standin.push(Script(reasoning="想一想", content="好的", chunk_size=1, gap=0.02))
    llm = client()
    stream = llm.stream(MESSAGES)
    first = await anext(stream)
    # Busy for longer than the remaining frames take to arrive, as an overloaded loop would be.
    time.sleep(0.3)  # noqa: ASYNC251 (blocking the loop is the point)
    rest = [c async for c in stream]
    assert first == ReasoningDelta("想")
    assert rest[:2] == [ReasoningDelta("一想"), TextDelta("好的")]
    assert isinstance(rest[2], Usage)


async def test_closing_the_stream_stops_the_upstream_read(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="x" * 100, chunk_size=1, gap=0.05))
    llm = client()
    stream = llm.stream(MESSAGES)
    assert await anext(stream) == TextDelta("x")
    await stream.aclose()
    standin.wait_for(lambda s: s.aborted == 1, timeout=2)
    assert standin.completed == 0
    await wait_until_threads_end(llm)


async def test_cancelling_while_waiting_for_the_first_token_stops_it(
    standin: DashScopeStandIn,
) -> None:
    standin.push(Script(content="x", first_delay=30))

    llm = client()

    async def consume() -> None:
        async for _ in llm.stream(MESSAGES):
            pass

    task = asyncio.create_task(consume())
    await asyncio.to_thread(standin.wait_for, lambda s: s.started == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.to_thread(standin.wait_for, lambda s: s.aborted == 1, 2)
    await wait_until_threads_end(llm)


async def test_idle_deadline_between_tokens(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="ab", chunk_size=1, gap=30))
    seen: list[LlmChunk] = []
    with pytest.raises(UpstreamError) as raised:
        async for chunk in client(idle_timeout=0.3).stream(MESSAGES):
            seen.append(chunk)
    assert seen == [TextDelta("a")]
    assert raised.value.code == "upstream_timeout"
    await asyncio.to_thread(standin.wait_for, lambda s: s.aborted == 1, 2)


async def test_total_deadline_ends_a_stream_that_keeps_talking(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="x" * 200, chunk_size=1, gap=0.02))
    llm = client(total_timeout=0.4)
    seen: list[LlmChunk] = []
    with pytest.raises(UpstreamError) as raised:
        async for chunk in llm.stream(MESSAGES):
            seen.append(chunk)
    assert raised.value.code == "upstream_timeout"
    assert "longer than 0.4 s" in raised.value.message
    assert 0 < sum(len(c.text) for c in seen if isinstance(c, TextDelta)) < 200
    await asyncio.to_thread(standin.wait_for, lambda s: s.aborted == 1, 2)
    await wait_until_threads_end(llm)


async def test_text_before_a_mid_stream_error_still_arrives(standin: DashScopeStandIn) -> None:
    standin.push(
        Script(content="abcdef", chunk_size=2, gap=0.05, error_after=2, error_code="InternalError")
    )
    llm = client()
    stream = llm.stream(MESSAGES)
    first = await anext(stream)
    time.sleep(0.2)  # noqa: ASYNC251 (blocking the loop: the second frame and the error now wait together
    seen = [first]
    with pytest.raises(UpstreamError) as raised:
        async for chunk in stream:
            seen.append(chunk)
    assert "".join(c.text for c in seen if isinstance(c, TextDelta)) == "abcd"
    assert raised.value.code == "upstream_unavailable"


async def test_calls_in_turn_reuse_one_kept_alive_connection(standin: DashScopeStandIn) -> None:
    llm = client()
    for _ in range(3):
        standin.push(Script(content="好的"))
        assert [c async for c in llm.stream(MESSAGES)]
    peers = {tuple(r["peer"]) for r in standin.requests}
    assert len(peers) == 1, peers


async def test_an_aborted_call_does_not_spoil_the_next_one(standin: DashScopeStandIn) -> None:
    llm = client()
    standin.push(Script(content="x" * 100, chunk_size=1, gap=0.05), Script(content="好的"))
    stream = llm.stream(MESSAGES)
    assert await anext(stream) == TextDelta("x")
    await stream.aclose()
    await asyncio.to_thread(standin.wait_for, lambda s: s.aborted == 1, 2)
    chunks = [c async for c in llm.stream(MESSAGES)]
    assert "".join(c.text for c in chunks if isinstance(c, TextDelta)) == "好的"
    # The cut-off connection was not reused: the second call came on a new one.
    first, second = (tuple(r["peer"]) for r in standin.requests)
    assert first != second


async def test_a_proxy_from_the_environment_is_used(
    standin: DashScopeStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment is read once per session, not per call: it must still be obeyed."""
    async with proxy_to(standin.base_url) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        llm = client()
        for _ in range(2):
            standin.push(Script(content="好的"))
            chunks = [c async for c in llm.stream(MESSAGES)]
            assert "".join(c.text for c in chunks if isinstance(c, TextDelta)) == "好的"
        assert proxy.connections == 1
        llm.close()


@pytest.mark.parametrize(
    ("model", "enable_thinking", "thinks"),
    [
        ("qwen-plus", None, False),
        ("qwen-plus", True, True),
        ("qwq-plus", None, True),
        ("qwq-plus", False, False),
        ("qvq-max", None, True),
        ("deepseek-r1", None, True),
        ("deepseek-reasoner", None, True),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", None, True),
        ("deepseek-chat", None, False),
        ("qwen3-235b-a22b-thinking-2507", None, True),
        ("qwen3-235b-a22b-instruct-2507", None, False),
    ],
)
def test_which_models_think(model: str, enable_thinking: bool | None, thinks: bool) -> None:
    assert model_thinks(model, enable_thinking) is thinks


async def test_a_model_that_thinks_waits_longer_for_its_first_token(
    standin: DashScopeStandIn,
) -> None:
    timeouts = {"first_token_timeout": 0.3, "thinking_first_token_timeout": 10.0}
    standin.push(Script(reasoning="想", content="好", first_delay=0.8))
    thinking = client("qwq-plus", **timeouts)
    chunks = [c async for c in thinking.stream(MESSAGES)]
    assert [c for c in chunks if not isinstance(c, Usage)] == [
        ReasoningDelta("想"),
        TextDelta("好"),
    ]

    standin.push(Script(reasoning="想", content="好", first_delay=0.8))
    with pytest.raises(UpstreamError) as raised:
        async for _ in client(**timeouts).stream(MESSAGES):
            pass
    assert raised.value.code == "upstream_timeout"
    assert "sent nothing for 0.3 s" in raised.value.message


@pytest.mark.parametrize(("enable_thinking", "budget"), [(True, 500), (False, None), (None, None)])
async def test_thinking_parameters_are_sent_only_when_set(
    standin: DashScopeStandIn, enable_thinking: bool | None, budget: int | None
) -> None:
    standin.push(Script(content="好"))
    llm = DashScopeClient(
        api_key=TEST_API_KEY,
        model="qwen-plus",
        first_token_timeout=10.0,
        idle_timeout=10.0,
        enable_thinking=enable_thinking,
        thinking_budget=budget,
    )
    assert [c async for c in llm.stream(MESSAGES)]
    parameters = standin.requests[-1]["body"]["parameters"]
    sent = {name: parameters.get(name) for name in ("enable_thinking", "thinking_budget")}
    assert sent == {"enable_thinking": enable_thinking, "thinking_budget": budget}
    assert ("enable_thinking" in parameters) is (enable_thinking is not None)
    assert ("thinking_budget" in parameters) is (budget is not None)
    assert llm.thinks is bool(enable_thinking)
    llm.close()


async def test_retries_stop_once_their_time_is_up(standin: DashScopeStandIn) -> None:
    standin.push(*[Script(status=429, error_code="Throttling.RateQuota")] * 11)
    llm = DashScopeClient(
        api_key=TEST_API_KEY,
        model="qwen-plus",
        first_token_timeout=10.0,
        idle_timeout=10.0,
        retries=10,
        retry_base_seconds=0.2,
        retry_within_seconds=1.0,
    )
    with pytest.raises(UpstreamError) as raised:
        async for _ in llm.stream(MESSAGES):
            pass
    assert raised.value.code == "upstream_throttled"
    # Backoffs of 0.1-0.3, 0.2-0.6, 0.4-1.2 and 0.8-2.4 s: within 1 s of the first try there is
    # room for one retry at least and three at most, never the ten the count allows.
    assert 2 <= len(standin.requests) <= 4
    llm.close()


async def test_an_unreachable_upstream_is_told_in_words_not_the_http_library_s() -> None:
    llm = client(retries=0)
    llm.base_url = f"http://127.0.0.1:{free_port()}/api/v1"
    with pytest.raises(UpstreamError) as raised:
        async for _ in llm.stream(MESSAGES):
            pass
    assert raised.value.code == "upstream_unavailable"
    assert raised.value.message == (
        "the model service refused the connection (nothing listens at its address)"
    )
    await wait_until_threads_end(llm)


async def test_the_base_url_setting_takes_the_calls_where_it_says(
    standin: DashScopeStandIn,
) -> None:
    llm = DashScopeClient.from_settings(
        settings_for(None, dashscope_http_base_url=standin.base_url, upstream_retries=0)
    )
    standin.push(Script(content="到这里"))
    # The SDK's own base URL leads nowhere: only the setting can reach the stand-in.
    with sdk_base_url(f"http://127.0.0.1:{free_port()}/api/v1"):
        chunks = [c async for c in llm.stream(MESSAGES)]
    assert "".join(c.text for c in chunks if isinstance(c, TextDelta)) == "到这里"
