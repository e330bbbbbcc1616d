"""Per-key quotas: request rate and live streams, in process and shared through Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.helpers.app import KEY, OTHER_KEY, ClientFactory, demo_server_env, keyed
from tests.helpers.demo import ANSWER, DEMO_QUESTION
from tests.helpers.eventually import eventually, eventually_sync
from tests.helpers.serve_process import serve
from tests.helpers.sse import collect, names
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.api.security.host_counters import HostCounters
from txt2sql_api.api.security.keys import fingerprint
from txt2sql_api.api.security.quotas import LocalQuotas, Quotas, RedisCounters, SharedCounters

AS_KEY = {"X-API-Key": KEY}
AS_OTHER = {"X-API-Key": OTHER_KEY}


@pytest.fixture
async def redis_prefix(redis_server: str) -> AsyncIterator[str]:
    """A key prefix of this test's own in the shared Redis, deleted afterwards."""
    prefix = f"txt2sql-test:{uuid.uuid4().hex}:"
    yield prefix
    redis = Redis.from_url(redis_server)
    try:
        keys = [key async for key in redis.scan_iter(f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    now = [0.0]
    quotas = LocalQuotas(rate_per_second=2.0, burst=3, max_streams=1, clock=lambda: now[0])
    assert [quotas.take("a") for _ in range(3)] == [0, 0, 0]
    assert quotas.take("a") == pytest.approx(0.5)
    assert quotas.take("b") == 0  # every caller has a bucket of its own
    now[0] = 10.0  # long idle: full again, never more than the burst
    assert [quotas.take("a") for _ in range(4)][-1] > 0


def test_stream_slots_are_counted_per_caller_and_given_back() -> None:
    quotas = LocalQuotas(rate_per_second=1.0, burst=1, max_streams=2)
    first, second = quotas.acquire("a"), quotas.acquire("a")
    assert first and second
    assert quotas.acquire("a") is None
    assert quotas.acquire("b") is not None
    quotas.release(first)
    assert quotas.live("a") == 1
    assert quotas.acquire("a") is not None


async def test_past_its_rate_a_key_gets_429_with_retry_after_and_others_do_not(
    demo_db: str, make_client: ClientFactory
) -> None:
    settings = keyed(demo_db, rate_limit_burst=3, rate_limit_per_minute=6)
    async with make_client(settings) as client:
        codes = [(await client.get("/v1/examples", headers=AS_KEY)).status_code for _ in range(4)]
        limited = await client.get("/v1/schema", headers=AS_KEY)
        other = await client.get("/v1/schema", headers=AS_OTHER)
        probe = await client.get("/healthz")
        metrics = (await client.get("/metrics")).text
    assert codes == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == 10  # one request per 10 s at 6 a minute
    assert other.status_code == 200
    assert probe.status_code == 200
    assert 'txt2sql_refused_requests_total{reason="rate_limited"} 2.0' in metrics


async def test_a_key_past_its_live_streams_gets_429_and_its_slot_comes_back(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER, first_delay=1.0))
    standin.default = Script(content=ANSWER)
    async with make_client(keyed(demo_db, max_streams_per_key=1)) as client:
        body = {"question": DEMO_QUESTION}
        first = asyncio.create_task(collect(client, json=body, headers=AS_KEY))
        await eventually(lambda: standin.started >= 1, "the upstream call started")
        refused = await client.post("/v1/ask", json=body, headers=AS_KEY)
        other = await collect(client, json=body, headers=AS_OTHER)
        events = await first
        again = await collect(client, json=body, headers=AS_KEY)
        # A request refused before its stream started gives its slot back too.
        bad = await client.post("/v1/ask", json={"question": " "}, headers=AS_KEY)
        after_bad = await collect(client, json=body, headers=AS_KEY)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert names(other)[-1] == "done"
    assert names(events)[-1] == "done"
    assert names(again)[-1] == "done"
    assert bad.status_code == 422
    assert names(after_bad)[-1] == "done"


def test_a_client_that_hangs_up_gives_its_stream_slot_back(
    demo_db: str, standin: DashScopeStandIn
) -> None:
    """Through a real server: only a real connection can be hung up on."""
    standin.default = Script(content=ANSWER, chunk_size=4, hang=True)
    env = demo_server_env(demo_db, standin) | {
        "TXT2SQL_API_KEYS": KEY,
        "TXT2SQL_MAX_STREAMS_PER_KEY": "1",
    }
    with serve(env) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        for round_ in range(3):
            with client.stream("POST", "/v1/ask", json={"question": "q"}, headers=AS_KEY) as r:
                assert r.status_code == 200, f"round {round_}: the slot was not given back"
                next(r.iter_lines())  # the stream is live; now hang up
            standin.wait_for(lambda s, n=round_ + 1: s.aborted == n)
            _wait_until_no_live_streams(client)


def _wait_until_no_live_streams(client: httpx.Client) -> None:
    eventually_sync(
        lambda: "txt2sql_live_streams 0.0" in client.get("/metrics").text,
        "the stream no longer counts as live",
    )


def shared(redis_url: str, database_url: str, prefix: str, **overrides: Any) -> Any:
    return keyed(database_url, redis_url=redis_url, redis_prefix=prefix, **overrides)


@pytest.mark.redis
async def test_instances_share_the_rate_through_redis(
    demo_db: str, make_client: ClientFactory, redis_prefix: str, redis_server: str
) -> None:
    settings = shared(
        redis_server, demo_db, redis_prefix, rate_limit_burst=2, rate_limit_per_minute=1
    )
    async with make_client(settings) as one, make_client(settings) as two:
        codes = [
            (await client.get("/v1/examples", headers=AS_KEY)).status_code
            for client in (one, two, one, two)
        ]
        other = await two.get("/v1/examples", headers=AS_OTHER)
    assert codes == [200, 200, 429, 429]
    assert other.status_code == 200


@pytest.mark.redis
async def test_instances_share_stream_slots_through_redis(
    demo_db: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    redis_prefix: str,
    redis_server: str,
) -> None:
    standin.push(Script(content=ANSWER, first_delay=1.0))
    standin.default = Script(content=ANSWER)
    settings = shared(redis_server, demo_db, redis_prefix, max_streams_per_key=1)
    body = {"question": DEMO_QUESTION}
    redis = Redis.from_url(redis_server)
    slots = f"{redis_prefix}streams:{fingerprint(KEY)}"
    try:
        async with make_client(settings) as one, make_client(settings) as two:
            first = asyncio.create_task(collect(one, json=body, headers=AS_KEY))
            await eventually(lambda: standin.started >= 1, "the upstream call started")
            held = await redis.zcard(slots)
            refused = await two.post("/v1/ask", json=body, headers=AS_KEY)
            await first
            released = await redis.zcard(slots)
            again = await collect(two, json=body, headers=AS_KEY)
    finally:
        await redis.aclose()
    assert held == 1
    assert refused.status_code == 429
    assert released == 0
    assert names(again)[-1] == "done"


async def test_with_redis_unreachable_quotas_fall_back_to_the_instance(
    demo_db: str, make_client: ClientFactory
) -> None:
    settings = keyed(
        demo_db, redis_url="redis://127.0.0.1:1/0", rate_limit_burst=2, rate_limit_per_minute=1
    )
    async with make_client(settings) as client:
        codes = [(await client.get("/v1/examples", headers=AS_KEY)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_without_redis_the_process_never_loads_it() -> None:
    """redis is ~7 MB of memory: only instances that share their quotas pay for it."""
    script = """
import asyncio, sys
from contextlib import AsyncExitStack
from txt2sql_api.wiring import quotas as _quotas
from txt2sql_api.config import Settings

async def main():
    async with AsyncExitStack() as stack:
        quotas = await _quotas(stack, Settings(_env_file=None, redis_url=None))
        assert await quotas.acquire("caller") is not None

asyncio.run(main())
print(sorted(m for m in sys.modules if m.split(".")[0] == "redis"))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TXT2SQL_")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(("allowed", "apart"), [("127.0.0.1", True), ("10.9.9.9", False)])
def test_open_mode_quotas_follow_x_forwarded_for_from_a_trusted_proxy_only(
    demo_db: str, standin_server: DashScopeStandIn, allowed: str, apart: bool
) -> None:
    """uvicorn takes the client's address from X-Forwarded-For when the peer is one of
    FORWARDED_ALLOW_IPS: behind a proxy, each client gets its own bucket; from anyone else the
    header is ignored, so it cannot be used to dodge the quota."""
    env = demo_server_env(demo_db, standin_server) | {
        "TXT2SQL_RATE_LIMIT_BURST": "1",
        "TXT2SQL_RATE_LIMIT_PER_MINUTE": "1",
        "FORWARDED_ALLOW_IPS": allowed,
    }
    with serve(env) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        codes = [
            client.get("/v1/examples", headers={"X-Forwarded-For": address}).status_code
            for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2")
        ]
    assert codes == ([200, 429, 200] if apart else [200, 429, 429])


@pytest.fixture(params=["redis", "host"])
async def counters(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SharedCounters]:
    """Both kinds of shared counters: Redis's, and the host's file for workers."""
    if request.param == "host":
        host = HostCounters(tmp_path / "quotas.sqlite")
        yield host
        host.close()
        return
    redis = Redis.from_url(request.getfixturevalue("redis_server"))
    try:
        yield RedisCounters(redis)
    finally:
        await redis.aclose()


@pytest.mark.redis
async def test_a_live_stream_keeps_its_shared_slot_past_the_lease(
    redis_prefix: str, counters: SharedCounters
) -> None:
    local = LocalQuotas(rate_per_second=1.0, burst=1, max_streams=1)
    quotas = Quotas(local, counters, redis_prefix, lease_seconds=0.6)
    held = await quotas.acquire("a")
    assert held is not None and held.shared
    renewing = quotas.renewal(held)
    assert renewing is not None
    await asyncio.sleep(1.5)  # two and a half leases
    refused = await quotas.acquire("a")
    renewing.cancel()
    await asyncio.sleep(1.0)  # not renewed any more: it lapses, as a dead instance's would
    after_lapse = await quotas.acquire("a")
    assert refused is None
    assert after_lapse is not None


@pytest.mark.redis
async def test_processes_sharing_counters_share_the_rate_and_the_slots(
    redis_prefix: str, counters: SharedCounters
) -> None:
    def quotas() -> Quotas:
        local = LocalQuotas(rate_per_second=0.5, burst=2, max_streams=1)
        return Quotas(local, counters, redis_prefix)

    one, two = quotas(), quotas()
    waits = [await one.take("k"), await two.take("k"), await one.take("k")]
    assert waits[:2] == [0.0, 0.0] and waits[2] > 1.0
    lease = await one.acquire("k")
    assert lease is not None and await two.acquire("k") is None
    await one.release(lease)
    assert await two.acquire("k") is not None


@pytest.mark.redis
async def test_the_host_cap_is_held_in_the_shared_counters(
    redis_prefix: str, counters: SharedCounters
) -> None:
    local = LocalQuotas(rate_per_second=1.0, burst=1, max_streams=5)
    one = Quotas(local, counters, redis_prefix, host="h")
    two = Quotas(local, counters, redis_prefix, host="h")
    assert one.shares_host and not Quotas(local, counters, redis_prefix).shares_host
    first = await one.acquire_host(1)
    assert first is not None and first.shared
    assert await two.acquire_host(1) is None
    await one.release(first)
    assert await two.acquire_host(1) is not None
