"""`txt2sql_api.client`: the async client in process (ASGITransport), the sync one against a real
`serve` process; both yield the server's own event models."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport
from httpx_sse import ServerSentEvent

from tests.helpers.app import KEY, keyed, settings_for
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.answer.events import (
    AnswerEvent,
    ChartEvent,
    ContextEvent,
    DoneEvent,
    ErrorEvent,
    RowsEvent,
    SqlEvent,
    StreamEvent,
    ThinkingEvent,
    UsageEvent,
)
from txt2sql_api.app import create_app
from txt2sql_api.client import (
    DEFAULT_TIMEOUT,
    AskError,
    AsyncTxt2SqlClient,
    Txt2SqlClient,
    decode,
)
from txt2sql_api.config import Settings

QUESTION = "4号线一共有多少个站"
SQL = "SELECT count(*) AS zds FROM dtzpt WHERE xlbh = 'L04'"
ANSWER = f"数一下4号线的站点。\n```sql\n{SQL}\n```"


async def async_client(settings: Settings) -> AsyncIterator[AsyncTxt2SqlClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app)
        async with AsyncTxt2SqlClient("http://testserver", transport=transport) as client:
            yield client


@pytest.fixture
async def client(demo_db: str) -> AsyncIterator[AsyncTxt2SqlClient]:
    async for client in async_client(settings_for(demo_db)):
        yield client


async def collect(client: AsyncTxt2SqlClient, question: str, **kw: bool) -> list[StreamEvent]:
    async with client.ask(question, **kw) as events:
        return [event async for event in events]


async def test_async_client_yields_the_server_event_models(
    client: AsyncTxt2SqlClient, standin: DashScopeStandIn
) -> None:
    standin.push(Script(reasoning="先想一想。", content=ANSWER, chunk_size=3))
    events = await collect(client, QUESTION, execute=True)

    kinds = [type(event) for event in events]
    assert kinds[:2] == [ContextEvent, ThinkingEvent]
    assert kinds[-5:] == [SqlEvent, UsageEvent, RowsEvent, ChartEvent, DoneEvent]
    sql, rows, chart = events[-5], events[-3], events[-2]
    assert isinstance(sql, SqlEvent) and sql.sql == SQL and sql.valid
    assert isinstance(rows, RowsEvent) and rows.final and rows.columns
    assert [c.name for c in rows.columns] == ["zds"] and rows.rows[0][0] > 0
    assert isinstance(chart, ChartEvent) and chart.mark == "number" and chart.y == ["zds"]
    thinking = "".join(e.delta for e in events if isinstance(e, ThinkingEvent))
    assert thinking.startswith("先想一想。")


async def test_a_summary_arrives_as_answer_events_after_the_chart(
    client: AsyncTxt2SqlClient, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER), Script(content="4号线共有若干站。", chunk_size=2))
    events = await collect(client, QUESTION, execute=True, summarize=True)
    kinds = [type(event) for event in events]
    after_chart = kinds[kinds.index(ChartEvent) + 1 :]
    assert after_chart[0] is AnswerEvent and after_chart[-2:] == [UsageEvent, DoneEvent]
    words = "".join(e.delta for e in events if isinstance(e, AnswerEvent))
    assert words == "4号线共有若干站。"
    usage = [e for e in events if isinstance(e, UsageEvent)]
    assert [u.call for u in usage] == ["sql", "summary"]


async def test_errors_during_the_stream_are_events(
    client: AsyncTxt2SqlClient, standin: DashScopeStandIn
) -> None:
    standin.default = Script(status=429)  # every retry is throttled too
    events = await collect(client, QUESTION)
    error, done = events
    assert isinstance(error, ErrorEvent) and error.code == "upstream_throttled" and error.retryable
    assert isinstance(done, DoneEvent)


async def test_a_refusal_before_the_stream_raises_with_status_and_detail(
    client: AsyncTxt2SqlClient, standin: DashScopeStandIn
) -> None:
    with pytest.raises(AskError) as raised:
        await collect(client, "   ")
    assert raised.value.status_code == 422
    assert "blank" in str(raised.value)
    assert raised.value.request_id
    assert standin.started == 0


@pytest.mark.usefixtures("standin")
async def test_refused_execution_is_a_403(demo_db: str) -> None:
    async for client in async_client(settings_for(demo_db, execute=False)):
        with pytest.raises(AskError) as raised:
            await collect(client, QUESTION, execute=True)
    assert raised.value.status_code == 403
    assert "TXT2SQL_EXECUTE=false" in raised.value.detail


def test_sync_client_against_a_real_server(demo_server: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(content=ANSWER, chunk_size=4, gap=0.01))
    with Txt2SqlClient(demo_server) as client, client.ask(QUESTION) as events:
        received = list(events)
    assert [type(e) for e in received[-3:]] == [SqlEvent, UsageEvent, DoneEvent]
    assert isinstance(received[0], ContextEvent)
    assert all(isinstance(e, ThinkingEvent) for e in received[1:-3])


def test_sync_client_refusal(demo_server: str) -> None:
    with Txt2SqlClient(demo_server) as client, pytest.raises(AskError) as raised:
        with client.ask("x" * 2001):
            pass
    assert raised.value.status_code == 422
    assert str(raised.value) == "422: the question is longer than 2000 characters"


def test_leaving_the_ask_block_early_stops_the_model(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(reasoning="想" * 400, content=ANSWER, chunk_size=2, gap=0.02))
    with Txt2SqlClient(demo_server) as client:
        with client.ask(QUESTION) as events:
            context, first = next(events), next(events)
        assert isinstance(context, ContextEvent) and isinstance(first, ThinkingEvent)
        standin.wait_for(lambda s: s.aborted == 1, timeout=10)
    assert standin.completed == 0


def test_read_timeout_outlasts_the_heartbeat() -> None:
    assert DEFAULT_TIMEOUT.read is not None
    assert DEFAULT_TIMEOUT.read >= 2 * Settings(_env_file=None).ping_seconds  # type: ignore[call-arg]


def test_events_of_a_newer_server_are_skipped() -> None:
    assert decode(ServerSentEvent(event="progress", data="{}")) is None
    usage = decode(
        ServerSentEvent(
            event="usage",
            data='{"input_tokens":1,"output_tokens":2,"total_tokens":3,"model":"m",'
            '"request_id":"r"}',
        )
    )
    assert usage == UsageEvent(
        input_tokens=1, output_tokens=2, total_tokens=3, model="m", request_id="r"
    )


async def test_a_client_with_the_key_is_let_in_where_one_without_is_refused(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER))
    app = create_app(keyed(demo_db))
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app)
        async with AsyncTxt2SqlClient("http://testserver", transport=transport) as anonymous:
            with pytest.raises(AskError) as refused:
                await collect(anonymous, QUESTION)
        async with AsyncTxt2SqlClient(
            "http://testserver", api_key=KEY, transport=transport
        ) as client:
            events = await collect(client, QUESTION)
    assert refused.value.status_code == 401
    assert isinstance(events[-1], DoneEvent)
    assert any(isinstance(e, SqlEvent) and e.sql == SQL for e in events)
