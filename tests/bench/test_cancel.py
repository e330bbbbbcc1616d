"""The cancellation benchmark (bench/cancel.py) measures real cut-offs: every stream it hangs up
is a model call the stand-in sees cut off, and our server's model threads are freed."""

from __future__ import annotations

import pytest

from bench.cancel import LONG_ANSWER, MIN_SAMPLES, run_level
from bench.streams import CHUNK, control_url_of
from tests.helpers.app import server_env
from tests.helpers.serve_process import serve_process
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script

pytestmark = pytest.mark.slow


async def test_two_streams_hung_up_are_two_upstream_calls_cut_off(
    demo_db: str, standin_server: DashScopeStandIn, standin: DashScopeStandIn
) -> None:

    standin.default = Script(content=LONG_ANSWER, chunk_size=CHUNK, first_delay=0.02, gap=0.05)
    control_url = control_url_of(standin_server.base_url)
    with serve_process(server_env(demo_db, standin_server)) as (base_url, _):
        level = await run_level(base_url, control_url, 2)
    assert level.streams == 2
    assert 0 < level.cut_off_p50_ms <= level.cut_off_p99_ms <= level.cut_off_max_ms
    assert level.threads_freed_ms > 0
    # Every stream opened was a call cut off mid-answer, none ran to its end.
    assert standin.aborted == MIN_SAMPLES
    assert standin.completed == 0
