"""Runs `txt2sql-api serve` as a real process on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

CLI = str(Path(sys.executable).with_name("txt2sql-api"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(env: Mapping[str, str], *, startup_timeout: float = 60.0) -> Iterator[str]:
    """Yields the base URL of a running server; stops it (SIGTERM) afterwards."""
    with serve_process(env, startup_timeout=startup_timeout) as (base_url, _):
        yield base_url


@contextmanager
def serve_process(
    env: Mapping[str, str],
    *,
    startup_timeout: float = 60.0,
    cwd: Path | None = None,
    log: IO[bytes] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like `serve`, and yields the process too (benchmarks read its memory and threads; tests
    send it signals). Only `env` and the `.env` of `cwd` configure it; its output goes to `log`
    when given (for a test to read after it exits)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TXT2SQL_")}
    for name in (
        "DATABASE_URL",
        "DASHSCOPE_API_KEY",
        "DASHSCOPE_HTTP_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        full_env.pop(name, None)
    full_env.update(env)
    base_url = f"http://127.0.0.1:{port}"
    argv = [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with logged_process(
        argv,
        full_env,
        lambda: _healthy(base_url),
        "serve",
        startup_timeout=startup_timeout,
        cwd=cwd or Path(tempfile.gettempdir()),
        log=log,
    ) as process:
        yield base_url, process


@contextmanager
def logged_process(
    argv: list[str],
    env: Mapping[str, str],
    ready: Callable[[], bool],
    name: str,
    *,
    startup_timeout: float,
    cwd: Path | None = None,
    log: IO[bytes] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs `argv` until the block ends (SIGTERM, then SIGKILL after 15 s), once `ready()`; its
    output goes to `log` or a file of its own, shown when it exits early or is not ready in
    time."""
    # A file, not a pipe: a pipe nobody reads fills up and blocks the server.
    own_log = log is None
    log = log or tempfile.TemporaryFile()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(process, log, ready, name, startup_timeout)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if own_log:
            log.close()


def _output(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def _wait_ready(
    process: subprocess.Popen[bytes],
    log: IO[bytes],
    ready: Callable[[], bool],
    name: str,
    timeout: float,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{_output(log)}")
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{name} was not ready in {timeout} s:\n{_output(log)}")


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
