"""The seed's re-creation (bench/seed_app.py) answers the streaming benchmark's driver, so
`python -m bench.run seed` measures streams that succeed, and tells a failed one apart."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest

from bench.seed import seed_process
from bench.streams import ANSWER, CHUNK, control_url_of, one_stream, run_level
from bench.streams import Upstream as Timing
from tests.conftest import TEST_API_KEY
from tests.standin.dashscope_server import DashScopeStandIn, Script

TIMING = Timing(first_token_s=0.05, gap_s=0.005)


@pytest.fixture(scope="module")
def seed(standin_server: DashScopeStandIn) -> Iterator[tuple[str, int]]:
    """The seed app's process, answering through the stand-in: base URL and pid."""
    with seed_process(standin_server.base_url, 2, api_key=TEST_API_KEY) as live:
        yield live


@pytest.fixture
def scripted(standin: DashScopeStandIn) -> DashScopeStandIn:
    standin.default = Script(
        content=ANSWER, chunk_size=CHUNK, first_delay=TIMING.first_token_s, gap=TIMING.gap_s
    )
    return standin


async def test_a_level_of_two_streams_succeeds(
    scripted: DashScopeStandIn, seed: tuple[str, int]
) -> None:
    base_url, pid = seed
    level = await run_level(base_url, pid, control_url_of(scripted.base_url), 2, TIMING)
    assert level.failures == 0
    assert level.first_event_p50_ms > 0
    assert level.first_event_p99_ms >= level.first_event_p50_ms
    # Each call reached the upstream after its stream began, and before its first event.
    assert 0 < level.upstream_call_p50_ms <= level.upstream_call_p99_ms
    assert level.upstream_call_p99_ms < level.first_event_p99_ms + TIMING.first_token_s * 1000
    assert level.server_threads >= 2
    # Every stream went to the upstream, through the real SDK, with the question.
    scripted.wait_for(lambda s: s.completed == 20)
    messages = scripted.requests[-1]["body"]["input"]["messages"]
    assert messages[0]["role"] == "system"
    assert messages[-1] == {"role": "user", "content": "沈塘桥地铁站的信息"}


async def test_the_sql_comes_from_the_answer(
    scripted: DashScopeStandIn, seed: tuple[str, int]
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{seed[0]}/v1/ask", json={"question": "q"}) as response,
    ):
        body = (await response.read()).decode()
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = [line[len("event: ") :] for line in body.splitlines() if line.startswith("event: ")]
    assert events == ["thinking"] * TIMING.frames + ["sql", "done"]
    assert "SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'" in body


@pytest.mark.parametrize(
    "script",
    [
        Script(status=500, error_code="InternalError"),
        Script(content=ANSWER, chunk_size=CHUNK, error_after=3),
        Script(content="no query here"),
    ],
    ids=["before-the-stream", "mid-stream", "no-sql-block"],
)
async def test_a_failed_answer_fails_the_drivers_check(
    scripted: DashScopeStandIn, seed: tuple[str, int], script: Script
) -> None:
    scripted.push(script)
    async with aiohttp.ClientSession() as session:
        ok = (await one_stream(session, f"{seed[0]}/v1/ask")).ok
    assert not ok
    # The next answer, the default one, succeeds: the failure was the script's.
    async with aiohttp.ClientSession() as session:
        ok = (await one_stream(session, f"{seed[0]}/v1/ask")).ok
    assert ok
