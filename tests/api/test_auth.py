"""Access control: API keys on every /v1 route, stream tokens for EventSource, open mode."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.app import KEY, OTHER_KEY, ClientFactory, keyed, settings_for
from tests.helpers.demo import ANSWER, DEMO_QUESTION
from tests.helpers.pg import Databases
from tests.helpers.sse import collect, names
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.api.security.keys import KeyRing, fingerprint

# Every /v1 operation, with a request that is valid once authorised.
V1_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/ask", {"json": {"question": DEMO_QUESTION}}),
    ("GET", "/v1/ask", {"params": {"question": DEMO_QUESTION}}),
    ("GET", "/v1/schema", {}),
    ("GET", "/v1/examples", {}),
    (
        "POST",
        "/v1/examples",
        {"json": {"question": "一加一", "sql": "SELECT 1 + 1"}},
    ),
    ("POST", "/v1/tokens", {}),
]
# The /v1 operations on one thing, asked about a thing that does not exist: 404 once authorised.
V1_MISSING: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/v1/examples/999999", {}),
    ("PUT", "/v1/examples/999999", {"json": {"question": "一加一", "sql": "SELECT 1 + 1"}}),
    ("DELETE", "/v1/examples/999999", {}),
    ("POST", "/v1/feedback", {"json": {"request_id": "no-such-answer", "verdict": "up"}}),
]


@pytest.fixture(scope="module")
async def scratch_db(databases: Databases) -> str:
    """An empty database these tests may write examples to (the demo one must not change)."""
    return await databases.create()


def test_keys_are_told_apart_by_fingerprint_and_compared_whole() -> None:
    ring = KeyRing([KEY, OTHER_KEY], token_seconds=60)
    assert ring.identify(KEY) == fingerprint(KEY)
    assert ring.identify(OTHER_KEY) == fingerprint(OTHER_KEY)
    assert fingerprint(KEY) != fingerprint(OTHER_KEY)
    for wrong in ("", KEY[:-1], KEY + "x", KEY.upper(), fingerprint(KEY)):
        assert ring.identify(wrong) is None
    assert KEY not in fingerprint(KEY)


def test_stream_tokens_are_bound_to_their_key_and_expire() -> None:
    ring = KeyRing([KEY, OTHER_KEY], token_seconds=60)
    issued = ring.issue(fingerprint(KEY), now=1000)
    assert issued.expires_at == 1060
    assert ring.verify(issued.token, now=1030) == fingerprint(KEY)
    assert ring.verify(issued.token, now=1061) is None
    key_id, expiry, signature = issued.token.split(".")
    forged = [
        f"{fingerprint(OTHER_KEY)}.{expiry}.{signature}",  # another key's name
        f"{key_id}.{int(expiry) + 3600}.{signature}",  # a later expiry
        f"{key_id}.{expiry}.{signature[:-2]}",
        "",
        "..",
        "not-a-token",
    ]
    for token in forged:
        assert ring.verify(token, now=1030) is None
    # A key that is no longer configured takes its tokens with it.
    assert KeyRing([OTHER_KEY], token_seconds=60).verify(issued.token, now=1030) is None


@pytest.mark.parametrize(("method", "path", "kwargs"), V1_REQUESTS)
async def test_every_v1_route_needs_a_key(
    scratch_db: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    async with make_client(keyed(scratch_db)) as client:
        missing = await client.request(method, path, **kwargs)
        wrong = await client.request(method, path, headers={"X-API-Key": "nope"}, **kwargs)
        basic = await client.request(
            method, path, headers={"Authorization": f"Basic {KEY}"}, **kwargs
        )
        by_bearer = await client.request(
            method, path, headers={"Authorization": f"Bearer {KEY}"}, **kwargs
        )
        by_header = await client.request(method, path, headers={"X-API-Key": OTHER_KEY}, **kwargs)
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["detail"]
    assert by_bearer.status_code < 300
    assert by_header.status_code < 300
    assert standin.started == (2 if path == "/v1/ask" else 0)


@pytest.mark.parametrize(("method", "path", "kwargs"), V1_MISSING)
async def test_every_v1_route_on_one_thing_needs_a_key(
    scratch_db: str, make_client: ClientFactory, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    async with make_client(keyed(scratch_db)) as client:
        missing = await client.request(method, path, **kwargs)
        keyed_request = await client.request(method, path, headers={"X-API-Key": KEY}, **kwargs)
    assert missing.status_code == 401
    assert keyed_request.status_code == 404


async def test_probes_metrics_and_docs_stay_open(demo_db: str, make_client: ClientFactory) -> None:
    async with make_client(keyed(demo_db)) as client:
        for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
            assert (await client.get(path)).status_code == 200, path


async def test_a_stream_token_opens_get_ask_only(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.default = Script(content=ANSWER)
    async with make_client(keyed(demo_db)) as client:
        issued = await client.post("/v1/tokens", headers={"Authorization": f"Bearer {KEY}"})
        token = issued.json()["token"]
        events = await collect(client, "GET", params={"question": DEMO_QUESTION, "token": token})
        post = await client.post(
            "/v1/ask", params={"token": token}, json={"question": DEMO_QUESTION}
        )
        schema = await client.get("/v1/schema", params={"token": token})
        bad = await client.get("/v1/ask", params={"question": DEMO_QUESTION, "token": token + "x"})
    assert issued.status_code == 201
    assert issued.json()["expires_in"] == 60
    assert KEY not in token
    assert names(events)[-1] == "done"
    assert post.status_code == 401
    assert schema.status_code == 401
    assert bad.status_code == 401


async def test_an_expired_stream_token_is_refused(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    async with make_client(keyed(demo_db, stream_token_seconds=1)) as client:
        # Signed as the service signs, with the same key, but long expired.
        stale = KeyRing([KEY], token_seconds=1).issue(fingerprint(KEY), now=0).token
        response = await client.get("/v1/ask", params={"question": "q", "token": stale})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert standin.requests == []


async def test_keys_from_a_file_are_added_to_the_setting(
    demo_db: str, make_client: ClientFactory, tmp_path: Path
) -> None:
    path = tmp_path / "keys"
    path.write_text("# team keys\nk-from-file-1\n\n  k-from-file-2  \n", encoding="utf-8")
    settings = settings_for(demo_db, api_keys=KEY, api_keys_file=path)
    async with make_client(settings) as client:
        codes = [
            (await client.get("/v1/examples", headers={"X-API-Key": key})).status_code
            for key in (KEY, "k-from-file-1", "k-from-file-2", "# team keys", "")
        ]
    assert codes == [200, 200, 200, 401, 401]


async def test_a_key_file_without_keys_stops_startup_instead_of_running_open(
    demo_db: str, make_client: ClientFactory, tmp_path: Path
) -> None:
    path = tmp_path / "keys"
    path.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no key"):
        async with make_client(settings_for(demo_db, api_keys_file=path)):
            pass


async def test_open_mode_serves_everyone_and_says_so_loudly_at_startup(
    demo_db: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    standin.default = Script(content=ANSWER)
    with caplog.at_level(logging.WARNING):
        async with make_client(settings_for(demo_db)) as client:
            schema = await client.get("/v1/schema")
            token = (await client.post("/v1/tokens")).json()["token"]
            events = await collect(client, "GET", params={"question": DEMO_QUESTION})
    assert schema.status_code == 200
    assert token
    assert names(events)[-1] == "done"
    warning = next(r.getMessage() for r in caplog.records if "NO API KEYS" in r.getMessage())
    assert "TXT2SQL_API_KEYS" in warning
    assert "TXT2SQL_API_KEYS_FILE" in warning


async def test_cors_allows_configured_origins_only(
    demo_db: str, make_client: ClientFactory
) -> None:
    settings = keyed(demo_db, cors_origins=["https://app.example"])
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with make_client(settings) as client:
        allowed = await client.options(
            "/v1/ask", headers={"Origin": "https://app.example", **preflight}
        )
        denied = await client.options(
            "/v1/ask", headers={"Origin": "https://evil.example", **preflight}
        )
        simple = await client.get(
            "/v1/examples", headers={"Origin": "https://app.example", "X-API-Key": KEY}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_without_cors_origins_no_cross_origin_headers(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        response = await client.get("/v1/examples", headers={"Origin": "https://app.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.usefixtures("standin")
@pytest.mark.parametrize("path", ["/v1/ask", "/v1/examples"])
async def test_bodies_past_the_limit_are_413(
    scratch_db: str, make_client: ClientFactory, path: str
) -> None:
    settings = settings_for(scratch_db, max_body_bytes=1024)
    big = {"question": "站" * 1000, "sql": "SELECT 1"}
    async with make_client(settings) as client:
        declared = await client.post(path, json=big)

        async def chunks() -> Any:
            for _ in range(10):
                yield b" " * 200  # no Content-Length: the limit counts what arrives

        streamed = await client.post(
            path, content=chunks(), headers={"content-type": "application/json"}
        )
        small = await client.post(path, json={"question": "站", "sql": "SELECT 1"})
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert small.status_code in (200, 201)
