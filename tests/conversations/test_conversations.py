"""Conversations: a follow-up's prompt carries the turns before it (the last five by default,
as data), its schema linking reads them too, the model may ask back with a `clarify` block, and
conversations belong to the key that started them. Any instance serves any follow-up."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.helpers.app import KEY, OTHER_KEY, ClientFactory, keyed, settings_for
from tests.helpers.demo import answer
from tests.helpers.pg import Databases, new_demo_database
from tests.helpers.sse import collect, of
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

EXITS = "SELECT ckgs FROM dtzpt WHERE zdmc = '沈塘桥'"
CLARIFY = (
    '需要确认年份。\n```clarify\n{"question": "您指哪一年？", "options": ["2024", "2025"]}\n```'
)


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def turn(
    client: httpx.AsyncClient,
    standin: DashScopeStandIn,
    question: str,
    conversation_id: str | None = None,
    reply: str | None = None,
    **kwargs: Any,
) -> tuple[str, str, list[tuple[str, dict[str, Any]]]]:
    """Asks; returns the conversation id from `done`, the prompt the model got, the events."""
    standin.push(Script(content=reply or answer(EXITS)))
    body: dict[str, Any] = {"question": question, "execute": True}
    if conversation_id:
        body["conversation_id"] = conversation_id
    events = await collect(client, json=body, **kwargs)
    prompt = "\n".join(m["content"] for m in standin.requests[-1]["body"]["input"]["messages"])
    [done] = of(events, "done")
    return done["conversation_id"], prompt, events


def block(prompt: str) -> str:
    if "<conversation>\n" not in prompt:
        return ""
    return prompt.split("<conversation>\n")[1].split("\n</conversation>")[0]


async def test_a_follow_up_sees_the_earlier_question_its_sql_and_its_result(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        first, prompt1, _ = await turn(client, standin, "沈塘桥站有几个出口")
        second, prompt2, events = await turn(client, standin, "那龙翔桥呢？", first)
    assert first.startswith("c_") and second == first
    assert block(prompt1) == ""
    history = block(prompt2)
    assert 'Earlier question: "沈塘桥站有几个出口"' in history
    assert f"Its SQL: {json.dumps(EXITS, ensure_ascii=False)}" in history
    assert 'It ran: 1 rows; columns "ckgs"; rows "[[' in history
    # The follow-up names no table: the earlier SQL's tables are its candidates.
    [context] = of(events, "context")
    dtzpt = next(t for t in context["tables"] if t["table"] == "public.dtzpt")
    assert "named by the conversation's earlier SQL" in dtzpt["reasons"]


async def test_the_window_keeps_the_last_five_turns(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        conversation, _, _ = await turn(client, standin, "问题1")
        for number in range(2, 7):
            await turn(client, standin, f"问题{number}", conversation)
        _, prompt, _ = await turn(client, standin, "问题7", conversation)
    history = block(prompt)
    assert '"问题1"' not in history
    assert all(f'"问题{n}"' in history for n in range(2, 7))


async def test_the_block_is_trimmed_oldest_first_to_its_token_budget(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db, conversation_token_budget=60)) as client:
        conversation, _, _ = await turn(client, standin, "第一个很长的问题" * 3)
        await turn(client, standin, "第二个问题", conversation)
        _, prompt, _ = await turn(client, standin, "第三个问题", conversation)
    history = block(prompt)
    assert '"第二个问题"' in history and "第一个很长的问题" not in history


async def test_a_conversation_belongs_to_its_key(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(keyed(db)) as client:
        mine, _, _ = await turn(client, standin, "沈塘桥站有几个出口", headers=auth(KEY))
        theirs = await client.post(
            "/v1/ask",
            json={"question": "那龙翔桥呢？", "conversation_id": mine},
            headers=auth(OTHER_KEY),
        )
        read = await client.get(f"/v1/conversations/{mine}", headers=auth(OTHER_KEY))
        listed = await client.get("/v1/conversations", headers=auth(OTHER_KEY))
        own = await client.get("/v1/conversations", headers=auth(KEY))
        deleted = await client.delete(f"/v1/conversations/{mine}", headers=auth(OTHER_KEY))
    assert theirs.status_code == 404 and "no conversation" in theirs.json()["detail"]
    assert (read.status_code, deleted.status_code) == (404, 404)
    assert listed.json() == [] and listed.headers["X-Total-Count"] == "0"
    assert [c["id"] for c in own.json()] == [mine]


async def test_list_read_and_delete(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        older, _, _ = await turn(client, standin, "沈塘桥站有几个出口")
        await turn(client, standin, "那龙翔桥呢？", older)
        newer, _, events = await turn(client, standin, "1号线有几个站")
        listed = await client.get("/v1/conversations", params={"limit": 1})
        read = await client.get(f"/v1/conversations/{older}")
        deleted = await client.delete(f"/v1/conversations/{older}")
        again = await client.get(f"/v1/conversations/{older}")
        follow = await client.post("/v1/ask", json={"question": "再问", "conversation_id": older})
        unknown = await client.post(
            "/v1/ask", json={"question": "再问", "conversation_id": "c_nope"}
        )
    assert [c["id"] for c in listed.json()] == [newer]
    assert listed.headers["X-Total-Count"] == "2"
    turns = read.json()["turns"]
    assert [t["question"] for t in turns] == ["沈塘桥站有几个出口", "那龙翔桥呢？"]
    assert turns[0]["sql"] == EXITS and turns[0]["valid"] and turns[0]["row_count"] == 1
    assert deleted.status_code == 204
    assert (again.status_code, follow.status_code, unknown.status_code) == (404, 404, 404)
    # Each turn keeps its request id: feedback works per turn.
    assert of(events, "done")[0]["request_id"]


async def test_the_model_may_ask_back_and_the_answer_continues_it(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as client:
        conversation, _, events = await turn(client, standin, "客流最多的一天", reply=CLARIFY)
        _, prompt, _ = await turn(client, standin, "2024年", conversation)
    assert "error" not in [name for name, _ in events]
    assert of(events, "clarify") == [
        {"question": "您指哪一年？", "options": ["2024", "2025"], "attempt": 1}
    ]
    assert 'You asked back: "您指哪一年？"' in block(prompt)


async def test_two_instances_share_a_conversation(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(db)) as one, make_client(settings_for(db)) as two:
        conversation, _, _ = await turn(one, standin, "沈塘桥站有几个出口")
        same, prompt, _ = await turn(two, standin, "那龙翔桥呢？", conversation)
    assert same == conversation
    assert '"沈塘桥站有几个出口"' in block(prompt)


async def test_the_response_names_the_conversation_in_a_header(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=answer(EXITS)))
    async with make_client(settings_for(db)) as client:
        async with client.stream("POST", "/v1/ask", json={"question": "q"}) as response:
            header = response.headers["X-Conversation-ID"]
            text = "".join([chunk async for chunk in response.aiter_text()])
    assert f'"conversation_id":"{header}"' in text
