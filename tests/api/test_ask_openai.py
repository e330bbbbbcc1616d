"""/v1/ask with TXT2SQL_PROVIDER=openai: the real app and the real openai SDK against the
OpenAI-compatible stand-in, a real database; and a real `serve` process for a client that hangs
up."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.helpers.app import TEST_API_KEY, ClientFactory, openai_settings_for
from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL
from tests.helpers.eventually import eventually
from tests.helpers.metrics_text import metric
from tests.helpers.serve_process import serve_process
from tests.helpers.sse import collect, names, of
from tests.helpers.standin.openai_server import OpenAIStandIn, Script


async def test_the_demo_question_streams_reasoning_sql_usage_and_done(
    demo_db: str, openai_standin: OpenAIStandIn, make_client: ClientFactory
) -> None:
    openai_standin.push(
        Script(
            reasoning="站点表 dtzpt 有站名。",
            content=ANSWER,
            chunk_size=3,
            usage={"input_tokens": 321, "output_tokens": 45},
        )
    )
    async with make_client(openai_settings_for(demo_db, openai_standin)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION, "execute": True})
        scraped = (await client.get("/metrics")).text
    order = names(events)
    assert order[:2] == ["context", "thinking"] and order[-1] == "done"
    thinking = "".join(d["delta"] for d in of(events, "thinking"))
    assert thinking.startswith("站点表 dtzpt 有站名。")
    (sql,) = of(events, "sql")
    assert sql["sql"] == DEMO_SQL and sql["valid"] is True
    assert of(events, "rows")[0]["row_count"] == 1
    (usage,) = of(events, "usage")
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (321, 45, 366)
    assert usage["request_id"].startswith("chatcmpl-")
    # The question reached the server in the prompt, as chat messages.
    body = openai_standin.requests[-1]["body"]
    assert DEMO_QUESTION in body["messages"][-1]["content"]
    # No thread per stream: the metrics show none, busy or idle.
    assert metric(scraped, "txt2sql_upstream_threads", state="busy") == 0
    assert metric(scraped, "txt2sql_upstream_threads", state="idle") == 0


async def test_without_openai_api_key_the_error_says_what_to_set(
    demo_db: str, openai_standin: OpenAIStandIn, make_client: ClientFactory
) -> None:
    settings = openai_settings_for(demo_db, openai_standin, openai_api_key=None)
    async with make_client(settings) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert names(events) == ["error", "done"]
    error = of(events, "error")[0]
    assert error["code"] == "missing_api_key" and "OPENAI_API_KEY" in error["message"]
    assert openai_standin.requests == []


async def test_an_upstream_failure_is_an_error_event(
    demo_db: str, openai_standin: OpenAIStandIn, make_client: ClientFactory
) -> None:
    openai_standin.push(Script(status=404, error_message="The model `qwen-nope` does not exist"))
    settings = openai_settings_for(demo_db, openai_standin, model="qwen-nope")
    async with make_client(settings) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    error = of(events, "error")[0]
    assert (error["code"], error["retryable"]) == ("upstream_bad_request", False)
    assert "qwen-nope" in error["message"]


async def _first_words_then_hang_up(base_url: str) -> float:
    """Reads a stream to the model's first words, hangs up, and says when."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        async with aconnect_sse(
            client, "POST", "/v1/ask", json={"question": DEMO_QUESTION}
        ) as source:
            async for sse in source.aiter_sse():
                if sse.event == "thinking":
                    break
    return time.monotonic()


@pytest.mark.slow
def test_a_client_that_hangs_up_closes_the_upstream_stream_within_a_second(
    demo_db: str, openai_standin: OpenAIStandIn
) -> None:
    openai_standin.default = Script(content=ANSWER * 50, chunk_size=2, gap=0.05)
    env = {
        "DATABASE_URL": demo_db,
        "TXT2SQL_PROVIDER": "openai",
        "OPENAI_BASE_URL": openai_standin.base_url,
        "OPENAI_API_KEY": TEST_API_KEY,
        # The demo question is a verified one: without this no model would be called.
        "TXT2SQL_REUSE_EXAMPLES": "false",
    }
    with serve_process(env) as (base_url, _):
        for count in (1, 2, 3):
            hung_up = asyncio.run(_first_words_then_hang_up(base_url))
            asyncio.run(
                eventually(
                    lambda n=count: openai_standin.aborted == n,
                    "the stand-in saw the connection closed",
                    within=1.0,
                )
            )
            assert time.monotonic() - hung_up < 1.0
        assert openai_standin.completed == 0 and openai_standin.active == 0
