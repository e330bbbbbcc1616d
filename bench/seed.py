"""The seed's approach (bench/seed_app.py: Flask, `stream_with_context`, Werkzeug's threaded
server) under the very driver, stand-in upstream and levels of bench/streams.py, so both tables
come from the same measurement."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from bench.streams import API_KEY, Run, Upstream
from bench.streams import run as run_streams
from tests.serve_process import free_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEVELS = "1,100,200,500"


@contextmanager
def seed_process(
    upstream_url: str, most: int, *, api_key: str = API_KEY, startup_timeout: float = 30.0
) -> Iterator[tuple[str, int]]:
    """`python -m bench.seed_app` on a free port, its SDK pointed at the upstream; yields its
    base URL and pid once it accepts connections. It has no quotas: `most` is not needed."""
    port = free_port()
    env = {**os.environ, "DASHSCOPE_API_KEY": api_key, "DASHSCOPE_HTTP_BASE_URL": upstream_url}
    # A file, not a pipe: a pipe nobody reads fills up and blocks the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.seed_app", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_listening(process, log, port, startup_timeout)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_listening(
    process: subprocess.Popen[bytes], log: IO[bytes], port: int, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"seed app exited early:\n{log.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"seed app did not listen on port {port} within {timeout} s")


def run(levels: list[int], upstream: Upstream) -> Run:
    return run_streams(levels, upstream, seed_process)
