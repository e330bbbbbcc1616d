"""The OpenAI-compatible client: the real openai SDK on the event loop, against the stand-in that
speaks the OpenAI streaming wire."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.app import TEST_API_KEY, settings_for
from tests.helpers.eventually import eventually
from tests.helpers.serve_process import free_port
from tests.helpers.standin.openai_server import OpenAIStandIn, Script
from txt2sql_api.config import Settings
from txt2sql_api.llm.base import LlmChunk, ReasoningDelta, TextDelta, UpstreamError, Usage
from txt2sql_api.llm.openai_compatible import OpenAIClient
from txt2sql_api.llm.providers import client_for
from txt2sql_api.shutdown import ShutdownSignal

MESSAGES = [{"role": "user", "content": "沈塘桥地铁站的信息"}]
Make = Callable[..., OpenAIClient]


@pytest.fixture
async def make_llm(openai_standin: OpenAIStandIn) -> AsyncIterator[Make]:
    """OpenAI clients pointed at the stand-in, closed after the test."""
    made: list[OpenAIClient] = []

    def make(model: str = "qwen-plus", **overrides: Any) -> OpenAIClient:
        values = {"first_token_timeout": 10.0, "idle_timeout": 10.0} | overrides
        values.setdefault("api_key", TEST_API_KEY)
        values.setdefault("base_url", openai_standin.base_url)
        made.append(OpenAIClient(model=model, **values))
        return made[-1]

    yield make
    for llm in made:
        await llm.aclose()


async def everything(llm: OpenAIClient, shutdown: ShutdownSignal | None = None) -> list[LlmChunk]:
    return [chunk async for chunk in llm.stream(MESSAGES, shutdown)]


async def failure(llm: OpenAIClient, seen: list[LlmChunk] | None = None) -> UpstreamError:
    with pytest.raises(UpstreamError) as raised:
        async for chunk in llm.stream(MESSAGES):
            if seen is not None:
                seen.append(chunk)
    return raised.value


def text(chunks: list[LlmChunk], kind: type[TextDelta | ReasoningDelta] = TextDelta) -> str:
    return "".join(c.text for c in chunks if isinstance(c, kind))


async def aborted(standin: OpenAIStandIn, count: int = 1, within: float = 1.0) -> None:
    """The stand-in saw the client close the connection of `count` calls, within `within` s."""
    await eventually(lambda: standin.aborted == count, "the upstream call was hung up", within)
    assert standin.completed == 0


async def test_reasoning_then_text_then_usage_with_the_completion_s_id(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(
        Script(
            reasoning="想一想",
            content="好的",
            chunk_size=1,
            usage={"input_tokens": 7, "output_tokens": 3},
        )
    )
    chunks = await everything(make_llm())
    # Frames that arrive together may be merged into one chunk: compare the texts in order.
    kinds = [type(c) for c in chunks]
    assert kinds == sorted(kinds, key=[ReasoningDelta, TextDelta, Usage].index)
    assert text(chunks, ReasoningDelta) == "想一想" and text(chunks) == "好的"
    usage = chunks[-1]
    assert isinstance(usage, Usage)
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (7, 3, 10)
    assert usage.request_id.startswith("chatcmpl-")


async def test_frames_apart_in_time_stay_separate_chunks(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(content="abc", chunk_size=1, gap=0.05))
    chunks = await everything(make_llm())
    assert chunks[:3] == [TextDelta("a"), TextDelta("b"), TextDelta("c")]


async def test_frames_waiting_together_are_merged_in_order(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(reasoning="想一想", content="好的", chunk_size=1, gap=0.02))
    stream = make_llm().stream(MESSAGES)
    first = await anext(stream)
    # Busy for longer than the remaining frames take to arrive, as an overloaded loop would be.
    time.sleep(0.3)  # noqa: ASYNC251 (blocking the loop is the point)
    await asyncio.sleep(0.05)  # the reader task takes in what arrived meanwhile
    rest = [c async for c in stream]
    assert first == ReasoningDelta("想")
    assert rest[:2] == [ReasoningDelta("一想"), TextDelta("好的")]
    assert isinstance(rest[2], Usage)


async def test_the_call_streams_asks_for_usage_and_sends_no_thinking_switch_unless_set(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    await everything(make_llm("qwen3-32b"))
    (request,) = openai_standin.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {TEST_API_KEY}"
    body = request["body"]
    assert body["model"] == "qwen3-32b" and body["messages"] == MESSAGES
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert not {"enable_thinking", "thinking_budget", "chat_template_kwargs"} & set(body)


@pytest.mark.parametrize(
    ("style", "enable", "budget", "sent"),
    [
        ("dashscope", True, 500, {"enable_thinking": True, "thinking_budget": 500}),
        ("dashscope", False, None, {"enable_thinking": False}),
        ("vllm", True, 500, {"chat_template_kwargs": {"enable_thinking": True}}),
        ("vllm", False, None, {"chat_template_kwargs": {"enable_thinking": False}}),
        ("vllm", None, None, {}),
        ("none", True, 500, {}),
    ],
)
async def test_thinking_switches_are_sent_the_way_the_server_understands(
    openai_standin: OpenAIStandIn,
    make_llm: Make,
    style: str,
    enable: bool | None,
    budget: int | None,
    sent: dict[str, Any],
) -> None:
    llm = make_llm(thinking_style=style, enable_thinking=enable, thinking_budget=budget)
    await everything(llm)
    body = openai_standin.requests[-1]["body"]
    switches = {"enable_thinking", "thinking_budget", "chat_template_kwargs"}
    assert {name: body[name] for name in switches & set(body)} == sent


def test_a_thinking_setting_the_style_cannot_send_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(None, provider="openai", enable_thinking=True, thinking_budget=100)
    with caplog.at_level(logging.WARNING):
        client_for(settings.model_copy(update={"openai_thinking_style": "vllm"}))
    (warning,) = [r.getMessage() for r in caplog.records if "THINKING_STYLE" in r.getMessage()]
    assert "TXT2SQL_OPENAI_THINKING_STYLE=vllm does not send TXT2SQL_THINKING_BUDGET" in warning


@pytest.mark.parametrize(
    ("script", "code", "retryable", "said"),
    [
        (Script(status=401), "upstream_unauthorized", False, "invalid_api_key"),
        (Script(status=403, error_message="not allowed here"), "upstream_unauthorized", False, ""),
        (
            Script(status=404, error_message="The model `qwen-plus` does not exist"),
            "upstream_bad_request",
            False,
            "(model qwen-plus at http://127.0.0.1:",
        ),
        (
            Script(
                status=400,
                error_code="context_length_exceeded",
                error_message="This model's maximum context length is 8192 tokens",
            ),
            "upstream_bad_request",
            False,
            "400 context_length_exceeded: This model's maximum context length is 8192 tokens",
        ),
        # vLLM's body: the error at the top level, its code the HTTP status.
        (
            Script(
                status=400,
                error_body={
                    "object": "error",
                    "message": "maximum context length is 32768 tokens",
                    "type": "BadRequestError",
                    "param": None,
                    "code": 400,
                },
            ),
            "upstream_bad_request",
            False,
            "400 BadRequestError: maximum context length is 32768 tokens",
        ),
        (Script(status=429), "upstream_throttled", True, "rate_limit_exceeded"),
        (Script(status=429, error_code="insufficient_quota"), "upstream_billing", False, ""),
        # DashScope's compatible mode, moderating the question.
        (Script(status=400, error_code="data_inspection_failed"), "content_rejected", False, ""),
        (Script(status=500), "upstream_unavailable", True, "500"),
        (Script(status=503, error_message="overloaded"), "upstream_unavailable", True, ""),
    ],
)
async def test_error_statuses_and_bodies_become_our_codes(
    openai_standin: OpenAIStandIn,
    make_llm: Make,
    script: Script,
    code: str,
    retryable: bool,
    said: str,
) -> None:
    openai_standin.push(script)
    error = await failure(make_llm(retries=0))
    assert (error.code, error.retryable) == (code, retryable)
    assert said in error.message
    # max_retries=0: the SDK tried once, whatever the status; the retries are ours alone.
    assert len(openai_standin.requests) == 1


async def test_a_wrong_key_is_unauthorized(openai_standin: OpenAIStandIn, make_llm: Make) -> None:
    error = await failure(make_llm(api_key="sk-wrong", retries=2))
    assert error.code == "upstream_unauthorized" and not error.retryable
    assert len(openai_standin.requests) == 1


async def test_a_throttled_call_is_retried_before_its_first_chunk(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(status=429), Script(status=502), Script(content="好的"))
    chunks = await everything(make_llm(retries=2, retry_base_seconds=0.01))
    assert text(chunks) == "好的"
    assert len(openai_standin.requests) == 3


@pytest.mark.parametrize(
    ("script", "said"),
    [
        (Script(content="abcdef", chunk_size=2, error_after=2), "500 internal_error: stand-in"),
        (
            Script(content="abcdef", chunk_size=2, break_after=2),
            "the connection to the model service broke in the middle of the answer",
        ),
    ],
    ids=["error object", "connection cut"],
)
async def test_a_failure_mid_stream_keeps_what_was_sent_and_is_not_retried(
    openai_standin: OpenAIStandIn, make_llm: Make, script: Script, said: str
) -> None:
    openai_standin.push(script)
    seen: list[LlmChunk] = []
    error = await failure(make_llm(retries=2, retry_base_seconds=0.01), seen)
    assert text(seen) == "abcd"
    assert error.code == "upstream_unavailable" and error.retryable
    assert said in error.message
    assert len(openai_standin.requests) == 1


async def test_first_token_deadline_hangs_up_the_call(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(content="x", first_delay=30))
    error = await failure(make_llm(first_token_timeout=0.3))
    assert error.code == "upstream_timeout"
    assert error.message == "the model sent nothing for 0.3 s"
    await aborted(openai_standin)


async def test_idle_deadline_between_tokens(openai_standin: OpenAIStandIn, make_llm: Make) -> None:
    openai_standin.push(Script(content="ab", chunk_size=1, gap=30))
    seen: list[LlmChunk] = []
    error = await failure(make_llm(idle_timeout=0.3), seen)
    assert seen == [TextDelta("a")]
    assert error.code == "upstream_timeout"
    await aborted(openai_standin)


async def test_total_deadline_ends_a_stream_that_keeps_talking(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(content="x" * 200, chunk_size=1, gap=0.02))
    seen: list[LlmChunk] = []
    error = await failure(make_llm(total_timeout=0.4), seen)
    assert error.code == "upstream_timeout"
    assert error.message == "the model's answer took longer than 0.4 s"
    assert 0 < len(text(seen)) < 200
    await aborted(openai_standin)


async def test_a_model_that_thinks_waits_longer_for_its_first_token(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    timeouts = {"first_token_timeout": 0.3, "thinking_first_token_timeout": 10.0}
    openai_standin.push(Script(reasoning="想", content="好", first_delay=0.8))
    chunks = await everything(make_llm("deepseek-reasoner", **timeouts))
    assert text(chunks, ReasoningDelta) == "想" and text(chunks) == "好"


async def test_closing_the_stream_closes_the_upstream_connection_at_once(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(content="x" * 100, chunk_size=1, gap=0.05))
    stream = make_llm().stream(MESSAGES)
    assert await anext(stream) == TextDelta("x")
    await stream.aclose()
    await aborted(openai_standin)


async def test_cancelling_while_waiting_for_the_first_token_closes_the_connection(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(content="x", first_delay=30))
    task = asyncio.create_task(everything(make_llm()))
    await eventually(lambda: openai_standin.started == 1, "the call reached the stand-in")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await aborted(openai_standin)


async def test_a_shutdown_ends_the_wait_with_shutting_down(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.push(Script(content="ab", chunk_size=1, gap=30))
    shutdown = ShutdownSignal()
    stream = make_llm().stream(MESSAGES, shutdown)
    assert await anext(stream) == TextDelta("a")
    asyncio.get_running_loop().call_later(0.1, shutdown.set)
    started = time.monotonic()
    with pytest.raises(UpstreamError) as raised:
        await anext(stream)
    assert raised.value.code == "shutting_down"
    assert time.monotonic() - started < 1
    await stream.aclose()
    await aborted(openai_standin)


async def test_streams_run_on_the_event_loop_without_a_thread_each(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    openai_standin.default = Script(content="x" * 20, chunk_size=1, gap=0.02)
    llm = make_llm()
    await everything(llm)  # the first call may start what the loop keeps (a resolver thread)
    before = threading.active_count()
    peak = before

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, threading.active_count())
            await asyncio.sleep(0.01)

    watching = asyncio.create_task(watch())
    results = await asyncio.gather(*(everything(llm) for _ in range(30)))
    watching.cancel()
    assert all(text(chunks) == "x" * 20 for chunks in results)
    assert peak - before < 5, f"{peak - before} threads more for 30 streams"
    assert (llm.threads.busy, llm.threads.alive) == (0, 0)


async def test_calls_in_turn_reuse_one_kept_alive_connection(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    llm = make_llm()
    for _ in range(3):
        assert text(await everything(llm))
    assert len({tuple(r["peer"]) for r in openai_standin.requests}) == 1


async def test_an_aborted_call_does_not_spoil_the_next_one(
    openai_standin: OpenAIStandIn, make_llm: Make
) -> None:
    llm = make_llm()
    openai_standin.push(Script(content="x" * 100, chunk_size=1, gap=0.05), Script(content="好的"))
    stream = llm.stream(MESSAGES)
    assert await anext(stream) == TextDelta("x")
    await stream.aclose()
    await aborted(openai_standin)
    assert text(await everything(llm)) == "好的"
    first, second = (tuple(r["peer"]) for r in openai_standin.requests)
    assert first != second


async def test_an_unreachable_server_is_told_in_words(make_llm: Make) -> None:
    error = await failure(make_llm(base_url=f"http://127.0.0.1:{free_port()}/v1", retries=0))
    assert error.code == "upstream_unavailable"
    assert error.message == (
        "the model service refused the connection (nothing listens at its address)"
    )


async def test_without_a_key_the_error_names_openai_api_key(make_llm: Make) -> None:
    llm = make_llm(api_key=None)
    problem = llm.unusable()
    assert problem is not None and problem.code == "missing_api_key"
    assert problem.message.startswith("OPENAI_API_KEY is not set")
    error = await failure(llm)
    assert error.code == "missing_api_key"


async def test_the_sdk_s_own_settings_work_from_a_dotenv_file(
    openai_standin: OpenAIStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "TXT2SQL_PROVIDER", "TXT2SQL_MODEL"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text(
        "TXT2SQL_PROVIDER=openai\n"
        f"OPENAI_BASE_URL={openai_standin.base_url}\n"
        f"OPENAI_API_KEY={TEST_API_KEY}\n"
        "TXT2SQL_MODEL=qwen3:8b\n",
        "utf-8",
    )
    llm = client_for(Settings(_env_file=env_file))  # type: ignore[call-arg]
    assert isinstance(llm, OpenAIClient)
    openai_standin.push(Script(content="到这里"))
    try:
        assert text(await everything(llm)) == "到这里"
    finally:
        await llm.aclose()
    assert openai_standin.requests[-1]["body"]["model"] == "qwen3:8b"
