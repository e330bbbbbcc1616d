"""/v1/ask in process: the real app, the real SDK against the stand-in, a real database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from httpx_sse import aconnect_sse

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL
from tests.helpers.eventually import eventually
from tests.helpers.sse import collect, names, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script


async def test_demo_question_streams_thinking_then_sql_then_usage_then_done(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(
        Script(content=ANSWER, chunk_size=3, usage={"input_tokens": 321, "output_tokens": 45})
    )
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})

    order = names(events)
    assert order[-1] == "done"
    assert order.count("sql") == 1
    assert order[:2] == ["context", "thinking"]
    assert order.index("sql") < order.index("usage")
    assert "".join(d["delta"] for d in of(events, "thinking")).strip() == ANSWER.split("\n")[0]
    assert all("```" not in d["delta"] for d in of(events, "thinking"))
    (sql,) = of(events, "sql")
    assert sql["sql"] == DEMO_SQL
    assert sql["valid"] is True
    assert sql["tables"] == ["dtzpt"]
    (usage,) = of(events, "usage")
    assert usage["input_tokens"] == 321
    assert usage["output_tokens"] == 45
    assert usage["total_tokens"] == 366
    assert usage["request_id"]


async def test_get_endpoint_streams_the_same_events(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, chunk_size=5))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, "GET", params={"question": DEMO_QUESTION})
    assert of(events, "sql")[0]["sql"] == DEMO_SQL
    assert names(events)[-1] == "done"


async def test_events_carry_increasing_ids(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, chunk_size=4))
    async with make_client(settings_for(demo_db)) as client:
        async with aconnect_sse(client, "POST", "/v1/ask", json={"question": "q"}) as source:
            ids = [int(sse.id) async for sse in source.aiter_sse()]
    assert ids == list(range(1, len(ids) + 1))


async def test_prompt_carries_schema_comments_examples_and_question(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER))
    async with make_client(settings_for(demo_db)) as client:
        await collect(client, json={"question": DEMO_QUESTION})
    (request,) = standin.requests
    body = request["body"]
    assert body["parameters"]["incremental_output"] is True
    prompt = "\n".join(m["content"] for m in body["input"]["messages"])
    assert "TABLE public.dtzpt" in prompt
    assert "地铁站点" in prompt
    assert "txt2sql.examples" not in prompt
    assert f"Question: {json.dumps(DEMO_QUESTION, ensure_ascii=False)}" in prompt
    assert prompt.rstrip().endswith(DEMO_QUESTION)


async def test_reasoning_content_streams_as_thinking_first(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(reasoning="先找站点表。", content=ANSWER, chunk_size=2))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    thinking = "".join(d["delta"] for d in of(events, "thinking"))
    assert thinking.startswith("先找站点表。")
    assert of(events, "sql")[0]["sql"] == DEMO_SQL


async def test_sql_drafted_in_a_thinking_model_s_reasoning_is_not_the_answer(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    draft = "先试试：\n```sql\nSELECT 1\n```\n不对，要按站名过滤。"
    standin.push(Script(reasoning=draft, content=ANSWER, chunk_size=3))
    async with make_client(settings_for(demo_db, enable_thinking=True)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert "".join(d["delta"] for d in of(events, "thinking")).startswith(draft)
    assert [sql["sql"] for sql in of(events, "sql")] == [DEMO_SQL]
    assert standin.requests[-1]["body"]["parameters"]["enable_thinking"] is True


async def test_unclosed_fence_still_yields_the_sql_marked_incomplete(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=f"好的\n```sql\n{DEMO_SQL}\n"))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    (sql,) = of(events, "sql")
    assert sql["sql"] == DEMO_SQL
    assert sql["complete"] is False


async def test_answer_without_sql_ends_with_no_sql_error(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content="抱歉，我无法回答这个问题。"))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert names(events)[-3:] == ["usage", "error", "done"]
    assert of(events, "error")[0]["code"] == "no_sql"


async def test_invalid_sql_from_the_model_is_flagged(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content="```sql\nDROP TABLE dtzpt\n```"))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    (sql,) = of(events, "sql")
    assert sql["valid"] is False
    assert sql["problems"][0]["code"] == "not_read_only"


async def test_missing_api_key_is_an_error_event_that_says_what_to_set(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db, dashscope_api_key=None)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert names(events) == ["error", "done"]
    error = of(events, "error")[0]
    assert error["code"] == "missing_api_key"
    assert "DASHSCOPE_API_KEY" in error["message"]
    assert standin.requests == []


@pytest.mark.parametrize(
    ("script", "code", "retryable"),
    [
        (
            Script(status=401, error_code="InvalidApiKey", error_message="bad key"),
            "upstream_unauthorized",
            False,
        ),
        (
            Script(status=429, error_code="Throttling.RateQuota", error_message="slow down"),
            "upstream_throttled",
            True,
        ),
        (
            Script(status=400, error_code="DataInspectionFailed", error_message="moderated"),
            "content_rejected",
            False,
        ),
        (
            Script(status=500, error_code="InternalError", error_message="boom"),
            "upstream_unavailable",
            True,
        ),
    ],
)
async def test_upstream_failures_before_the_stream_become_typed_errors(
    demo_db: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    script: Script,
    code: str,
    retryable: bool,
) -> None:
    standin.push(script, script, script)
    async with make_client(settings_for(demo_db, upstream_retries=2)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert names(events) == ["error", "done"]
    assert of(events, "error")[0]["code"] == code
    assert of(events, "error")[0]["retryable"] is retryable
    # Retried (twice) exactly when a retry may help.
    assert len(standin.requests) == (3 if retryable else 1)


async def test_a_throttled_call_is_retried_and_the_answer_streams(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(
        Script(status=429, error_code="Throttling.RateQuota"),
        Script(status=503, error_code="ServiceUnavailable"),
        Script(content=ANSWER),
    )
    async with make_client(settings_for(demo_db, upstream_retries=2)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert "error" not in names(events)
    assert of(events, "sql")[0]["sql"] == DEMO_SQL
    assert len(standin.requests) == 3


async def test_mid_stream_upstream_error_keeps_what_was_sent_then_errors(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, chunk_size=4, error_after=3))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert names(events)[-2:] == ["error", "done"]
    assert names(events)[:2] == ["context", "thinking"]
    assert of(events, "error")[0]["code"] == "upstream_unavailable"
    assert of(events, "sql") == []
    assert len(standin.requests) == 1  # text had reached the client: never repeated


async def test_silent_upstream_ends_with_upstream_timeout(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, first_delay=30))
    settings = settings_for(demo_db, first_token_timeout_seconds=0.5)
    async with make_client(settings) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert names(events) == ["error", "done"]
    assert of(events, "error")[0]["code"] == "upstream_timeout"


@pytest.mark.parametrize(
    "body",
    [{}, {"question": ""}, {"question": "   \n "}, {"question": 42}, {"question": "x" * 2001}],
)
async def test_bad_questions_are_422_before_any_stream(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, body: dict[str, Any]
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        response = await client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"]
    assert standin.requests == []


@pytest.mark.usefixtures("standin")
async def test_question_length_limit_is_configurable(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db, max_question_chars=5)) as client:
        too_long = await client.get("/v1/ask", params={"question": "沈塘桥地铁站"})
        blank = await client.get("/v1/ask", params={"question": "  "})
        missing = await client.get("/v1/ask")
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["query", "question"]
    assert blank.status_code == 422
    assert missing.status_code == 422


async def test_streams_past_the_ceiling_get_503_with_retry_after(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, first_delay=1.0))
    async with make_client(settings_for(demo_db, max_streams=1)) as client:
        first = asyncio.create_task(collect(client, json={"question": DEMO_QUESTION}))
        await eventually(lambda: standin.started >= 1, "the upstream call started")
        second = await client.post("/v1/ask", json={"question": DEMO_QUESTION})
        events = await first
        third = await collect(client, json={"question": DEMO_QUESTION})
    assert second.status_code == 503
    assert second.headers["retry-after"] == "1"
    assert names(events)[-1] == "done"
    assert names(third)[-1] == "done"


@pytest.mark.usefixtures("standin")
async def test_database_down_is_an_error_event_and_readyz_503(make_client: ClientFactory) -> None:
    down = "postgresql://postgres@127.0.0.1:1/nowhere"
    async with make_client(settings_for(down, db_acquire_timeout_seconds=1)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
        ready = await client.get("/readyz")
        health = await client.get("/healthz")
    assert names(events) == ["error", "done"]
    assert of(events, "error")[0]["code"] == "database_unavailable"
    assert of(events, "error")[0]["retryable"] is True
    assert ready.status_code == 503
    assert health.status_code == 200


async def test_request_id_is_echoed_and_ends_the_stream(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER))
    async with make_client(settings_for(demo_db)) as client:
        async with aconnect_sse(
            client, "POST", "/v1/ask", json={"question": "q"}, headers={"X-Request-ID": "abc-123"}
        ) as source:
            assert source.response.headers["x-request-id"] == "abc-123"
            conversation = source.response.headers["x-conversation-id"]
            events = [(s.event, json.loads(s.data)) async for s in source.aiter_sse()]
    # A question without a conversation starts one.
    assert events[-1] == ("done", {"request_id": "abc-123", "conversation_id": conversation})


async def test_proxies_are_told_not_to_buffer_and_idle_streams_get_heartbeats(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, first_delay=0.5))
    async with make_client(settings_for(demo_db, ping_seconds=0.1)) as client:
        body = {"question": DEMO_QUESTION}
        async with client.stream("POST", "/v1/ask", json=body) as response:
            assert response.headers["x-accel-buffering"] == "no"
            assert response.headers["cache-control"].startswith("no-")
            raw = "".join([text async for text in response.aiter_text()])
    # While the model is silent, comment lines keep the connection alive, before any event.
    assert raw.index(": ping") < raw.index("event: thinking")


async def test_a_context_event_tells_what_the_model_is_shown_before_each_attempt(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    question = "上个月沈塘桥站的进站量"
    standin.push(
        Script(content="查询。\n```sql\nSELECT zhanming FROM dtzpt\n```"),
        Script(content=ANSWER),
    )
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": question, "execute": True})
    order = names(events)
    contexts = of(events, "context")
    assert [c["attempt"] for c in contexts] == [1, 2]
    assert order[0] == "context" and order.index("context", 1) < order.index(
        "sql", order.index("sql") + 1
    )
    first = contexts[0]
    tables = {t["table"]: t for t in first["tables"]}
    assert "public.dtzpt" in tables and "public.zdkl_rtj" in tables
    assert any("沈塘桥" in reason for reason in tables["public.dtzpt"]["reasons"])
    assert {"value": "沈塘桥", "columns": ["public.dtzpt.zdmc"]} in first["values"]
    assert [d["text"] for d in first["dates"]] == ["上个月"]
    assert first["examples"] and all(
        {"id", "question", "score"} <= set(e) for e in first["examples"]
    )
    assert 0 < first["schema_tokens"] <= 4000


async def test_line_breaks_of_every_kind_stay_inside_the_event_data(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    reasoning = "一\r\n二\r三\n\n四\u2028五 data: event: done\n\n"
    standin.push(Script(reasoning=reasoning, content=ANSWER, chunk_size=5))
    async with make_client(settings_for(demo_db)) as client:
        events = await collect(client, json={"question": DEMO_QUESTION})
    assert "".join(t["delta"] for t in of(events, "thinking")).startswith(reasoning)
    assert names(events)[-1] == "done" and names(events).count("done") == 1
