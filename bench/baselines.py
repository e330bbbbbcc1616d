"""The servers our service's streams are measured against, under the very driver, stand-in
upstream and levels of bench/streams.py, so that all tables come from the same measurement:

- `seed`: the seed's approach (bench/seed_app.py: Flask, `stream_with_context`, Werkzeug's
  threaded server), what the service replaces;
- `floor`: the floor of our stack (bench/floor_app.py: FastAPI, sse-starlette, uvicorn and the
  SDK in a thread per stream, nothing else), what any service on it spends, ours included.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from bench.streams import API_KEY, ROOT, Run, Upstream
from bench.streams import run as run_streams
from tests.helpers.serve_process import free_port, listening, logged_process

APPS = {"seed": "bench.seed_app", "floor": "bench.floor_app"}


@contextmanager
def baseline_process(
    name: str,
    upstream_url: str,
    _most: int,
    *,
    api_key: str = API_KEY,
    startup_timeout: float = 30.0,
) -> Iterator[tuple[str, int]]:
    """The baseline `name` as a process on a free port, its SDK pointed at the upstream; yields
    its base URL and pid once it accepts connections. Neither has quotas or a ceiling, so the
    most streams it will see is not needed."""
    port = free_port()
    env = {**os.environ, "DASHSCOPE_API_KEY": api_key, "DASHSCOPE_HTTP_BASE_URL": upstream_url}
    argv = [sys.executable, "-m", APPS[name], "--port", str(port)]
    with logged_process(
        argv, env, lambda: listening(port), name, startup_timeout=startup_timeout, cwd=ROOT
    ) as process:
        yield f"http://127.0.0.1:{port}", process.pid


def run(name: str, levels: list[int], upstream: Upstream) -> Run:
    return run_streams(levels, upstream, partial(baseline_process, name))
