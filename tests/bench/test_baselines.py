"""The baselines of the streaming benchmark, the seed's re-creation (bench/seed_app.py) and the
floor of our stack (bench/floor_app.py), answer its driver, so `python -m bench.run seed` and
`floor` measure streams that succeed, and tell a failed one apart."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest

from bench.baselines import APPS, baseline_process
from bench.streams import ANSWER, CHUNK, control_url_of, one_stream, run_level, side_by_side
from bench.streams import Upstream as Timing
from tests.helpers.app import TEST_API_KEY
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

pytestmark = pytest.mark.slow

TIMING = Timing(first_token_s=0.05, gap_s=0.005)


@pytest.fixture(scope="module", params=sorted(APPS))
def baseline(
    request: pytest.FixtureRequest, standin_server: DashScopeStandIn
) -> Iterator[tuple[str, int]]:
    """A baseline's process, answering through the stand-in: base URL and pid."""
    with baseline_process(request.param, standin_server.base_url, 2, api_key=TEST_API_KEY) as live:
        yield live


@pytest.fixture
def scripted(standin: DashScopeStandIn) -> DashScopeStandIn:
    standin.default = Script(
        content=ANSWER, chunk_size=CHUNK, first_delay=TIMING.first_token_s, gap=TIMING.gap_s
    )
    return standin


async def test_a_level_of_two_streams_succeeds(
    scripted: DashScopeStandIn, baseline: tuple[str, int]
) -> None:

    base_url, pid = baseline
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


@pytest.mark.usefixtures("scripted")
async def test_the_sql_comes_from_the_answer(baseline: tuple[str, int]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{baseline[0]}/v1/ask", json={"question": "q"}) as response,
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
    scripted: DashScopeStandIn, baseline: tuple[str, int], script: Script
) -> None:
    scripted.push(script)
    async with aiohttp.ClientSession() as session:
        ok = (await one_stream(session, f"{baseline[0]}/v1/ask")).ok
    assert not ok
    # The next answer, the default one, succeeds: the failure was the script's.
    async with aiohttp.ClientSession() as session:
        ok = (await one_stream(session, f"{baseline[0]}/v1/ask")).ok
    assert ok


def test_side_by_side_lines_up_the_levels_all_runs_have() -> None:
    def level(streams: int, p50: float) -> dict[str, float]:
        return {
            "streams": streams,
            "first_event_p50_ms": p50,
            "first_event_p99_ms": 2 * p50,
            "total_p50_s": p50 / 100,
            "server_cpu_s": streams / 100,
            "server_rss_mb": 80 + streams,
            "failures": streams // 500,
        }

    ours = {"levels": [level(1, 4.0), level(500, 900.0)]}
    floor = {"levels": [level(1, 3.0), level(100, 50.0), level(500, 700.0)]}
    lines = side_by_side({"ours": ours, "floor": floor}).splitlines()
    assert lines[0].split(" | ")[:3] == [
        "| streams",
        "ours: first event p50 / p99 (ms)",
        "floor: first event p50 / p99 (ms)",
    ]
    assert len(lines) == 4  # header, rule, and the levels 1 and 500 (floor alone ran 100)
    assert lines[3] == (
        "| 500 | 900.0 / 1800.0 | 700.0 / 1400.0 | 9.0 | 7.0 | 5.0 | 5.0 | 580 | 580 | 1 | 1 |"
    )
