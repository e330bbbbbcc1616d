"""The streaming benchmark's second provider: the OpenAI-compatible stand-in starts as a
process the way DashScope's does, and our service on TXT2SQL_PROVIDER=openai answers the
driver's streams through it, with no thread per stream."""

from __future__ import annotations

import httpx
import pytest

from bench.streams import (
    API_KEY,
    PROVIDER_COLUMNS,
    Upstream,
    control_url_of,
    direct_first_frame_ms,
    run_level,
    service_env,
    side_by_side,
    standin_process,
)
from tests.helpers.serve_process import serve_process

pytestmark = pytest.mark.slow

TIMING = Upstream(first_token_s=0.05, gap_s=0.005)


async def test_a_level_through_the_openai_provider_succeeds_without_a_thread_per_stream(
    demo_db: str,
) -> None:
    with standin_process(TIMING, provider="openai") as upstream_url:
        assert upstream_url.endswith("/v1")
        control_url = control_url_of(upstream_url)
        env = service_env(demo_db, upstream_url, 20, "openai")
        with serve_process(env) as (base_url, process):
            await run_level(base_url, process.pid, control_url, 1, TIMING)  # warm
            one = await run_level(base_url, process.pid, control_url, 1, TIMING)
            level = await run_level(base_url, process.pid, control_url, 20, TIMING)
        assert one.failures == level.failures == 0
        assert 0 < level.upstream_call_p50_ms <= level.upstream_call_p99_ms
        # 20 streams at once need no more threads than one stream does.
        assert level.server_threads <= one.server_threads + 2
        assert level.server_cpu_per_stream_ms > 0
        async with httpx.AsyncClient(timeout=5) as control:
            requests = (await control.get(f"{control_url}/requests")).json()
        assert requests[-1]["path"] == "/v1/chat/completions"
        assert requests[-1]["headers"]["authorization"] == f"Bearer {API_KEY}"
        assert direct_first_frame_ms(upstream_url, TIMING, "openai", calls=3) > -50


def test_the_providers_table_has_cpu_per_stream_and_threads() -> None:
    def run(threads: int) -> dict[str, list[dict[str, float]]]:
        level = {
            "streams": 100,
            "first_event_p50_ms": 10.0,
            "first_event_p99_ms": 20.0,
            "server_cpu_per_stream_ms": 4.5,
            "server_threads": threads,
            "server_rss_mb": 150.0,
            "failures": 0,
        }
        return {"levels": [level]}

    lines = side_by_side({"dashscope": run(109), "openai": run(9)}, PROVIDER_COLUMNS).splitlines()
    assert "dashscope: threads | openai: threads" in lines[0]
    row = "| 100 | 10.0 / 20.0 | 10.0 / 20.0 | 4.5 | 4.5 | 109 | 9 | 150.0 | 150.0 | 0 | 0 |"
    assert lines[2] == row
