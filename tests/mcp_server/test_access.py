"""`/mcp` takes the keys and quotas of `/v1`: the app in process, its `/mcp` reached through
ASGI by the official MCP client SDK."""

from __future__ import annotations

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from tests.helpers.app import KEY, OTHER_KEY, ClientFactory, keyed, settings_for
from tests.helpers.demo import ANSWER, DEMO_QUESTION, DEMO_SQL
from tests.helpers.eventually import eventually
from tests.helpers.mcp_client import app_client, error_of, structured
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

# A tools/call as any MCP client sends it, for the refusals HTTP tells before MCP starts.
CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "describe_schema", "arguments": {}},
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.mark.parametrize("key", [None, "k-not-a-key"])
async def test_without_a_valid_key_the_client_cannot_connect(demo_db: str, key: str | None) -> None:
    with pytest.RaisesGroup(MCPError, flatten_subgroups=True):
        async with app_client(keyed(demo_db), key) as client:
            await client.list_tools()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer k-not-a-key"}])
async def test_a_refused_key_is_a_401_with_a_challenge_before_any_mcp(
    demo_db: str, make_client: ClientFactory, headers: dict[str, str]
) -> None:
    async with make_client(keyed(demo_db)) as client:
        response = await client.post("/mcp", json=CALL, headers=ACCEPT | headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "key" in response.json()["detail"]


async def test_x_api_key_is_taken_as_on_v1(demo_db: str, make_client: ClientFactory) -> None:
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    async with make_client(keyed(demo_db)) as client:
        response = await client.post("/mcp", json=listing, headers=ACCEPT | {"X-API-Key": KEY})
    assert response.status_code == 200
    assert '"describe_schema"' in response.text


@pytest.mark.parametrize(
    ("origin", "status"), [("http://evil.example", 403), ("https://app.example", 200)]
)
async def test_a_browser_page_is_served_only_from_an_allowed_origin(
    demo_db: str, make_client: ClientFactory, origin: str, status: int
) -> None:
    settings = settings_for(demo_db, cors_origins=["https://app.example"])
    async with make_client(settings) as client:
        response = await client.post("/mcp", json=CALL, headers=ACCEPT | {"Origin": origin})
    assert response.status_code == status


async def test_an_allowed_origin_s_mcp_client_passes_the_preflight(
    demo_db: str, make_client: ClientFactory
) -> None:
    preflight = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
    }
    settings = settings_for(demo_db, cors_origins=["https://app.example"])
    async with make_client(settings) as client:
        response = await client.options("/mcp", headers=preflight)
    assert response.status_code == 200
    assert "mcp-protocol-version" in response.headers["access-control-allow-headers"].lower()


async def test_with_a_key_the_tools_answer(demo_db: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(content=ANSWER))
    async with app_client(keyed(demo_db), KEY) as client:
        answer = structured(await client.call_tool("ask", {"question": DEMO_QUESTION}))
    assert answer["sql"] == DEMO_SQL


async def test_another_key_cannot_follow_up_a_conversation(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER))
    async with app_client(keyed(demo_db), KEY) as client:
        first = structured(await client.call_tool("ask", {"question": DEMO_QUESTION}))
    follow_up = {"question": "它有几个出口", "conversation_id": first["conversation_id"]}
    async with app_client(keyed(demo_db), OTHER_KEY) as client:
        error = error_of(await client.call_tool("ask", follow_up))
    assert error["code"] == "conversation_not_found"
    assert len(standin.requests) == 1  # no model call for the refused one


async def test_past_the_rate_quota_a_call_is_a_retryable_tool_error(demo_db: str) -> None:
    settings = keyed(demo_db, rate_limit_burst=2, rate_limit_per_minute=1)
    async with app_client(settings, KEY) as client:
        for _ in range(2):
            structured(await client.call_tool("describe_schema", {}))
        error = error_of(await client.call_tool("describe_schema", {}))
        with pytest.raises(MCPError, match="rate_limited"):
            await client.read_resource("schema://tables")
    assert (error["code"], error["retryable"]) == ("rate_limited", True)


async def test_past_the_live_streams_per_key_ask_is_refused(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=ANSWER, hang=True))
    async with app_client(keyed(demo_db, max_streams_per_key=1), KEY) as client:
        async with anyio.create_task_group() as calls:
            calls.start_soon(client.call_tool, "ask", {"question": DEMO_QUESTION})
            await eventually(lambda: standin.active == 1, "the first answer streams")
            error = error_of(await client.call_tool("ask", {"question": DEMO_QUESTION}))
            calls.cancel_scope.cancel()
    assert (error["code"], error["retryable"]) == ("streams_limited", True)
    assert len(standin.requests) == 1


async def test_execute_switched_off_is_refused_as_on_v1(demo_db: str) -> None:
    async with app_client(settings_for(demo_db, execute=False)) as client:
        refused = error_of(
            await client.call_tool("ask", {"question": DEMO_QUESTION, "execute": True})
        )
    assert refused["code"] == "execute_disabled"


async def test_the_v1_api_still_takes_the_same_keys(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(keyed(demo_db)) as client:
        refused = await client.get("/v1/schema")
        allowed = await client.get("/v1/schema", headers={"Authorization": f"Bearer {KEY}"})
    assert (refused.status_code, allowed.status_code) == (401, 200)
