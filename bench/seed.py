"""The seed's approach (bench/seed_app.py: Flask, `stream_with_context`, Werkzeug's threaded
server) under the very driver, stand-in upstream and levels of bench/streams.py, so both tables
come from the same measurement."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bench.streams import API_KEY, ROOT, Run, Upstream
from bench.streams import run as run_streams
from tests.serve_process import free_port, listening, logged_process

DEFAULT_LEVELS = "1,100,200,500,1000"


@contextmanager
def seed_process(
    upstream_url: str, most: int, *, api_key: str = API_KEY, startup_timeout: float = 30.0
) -> Iterator[tuple[str, int]]:
    """`python -m bench.seed_app` on a free port, its SDK pointed at the upstream; yields its
    base URL and pid once it accepts connections. It has no quotas: `most` is not needed."""
    port = free_port()
    env = {**os.environ, "DASHSCOPE_API_KEY": api_key, "DASHSCOPE_HTTP_BASE_URL": upstream_url}
    argv = [sys.executable, "-m", "bench.seed_app", "--port", str(port)]
    with logged_process(
        argv, env, lambda: listening(port), "seed app", startup_timeout=startup_timeout, cwd=ROOT
    ) as process:
        yield f"http://127.0.0.1:{port}", process.pid


def run(levels: list[int], upstream: Upstream) -> Run:
    return run_streams(levels, upstream, seed_process)
