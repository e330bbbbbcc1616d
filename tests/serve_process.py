"""Runs `txt2sql-api serve` as a real process on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
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
    env: Mapping[str, str], *, startup_timeout: float = 60.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like `serve`, and yields the process too (benchmarks read its memory and threads)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TXT2SQL_")}
    full_env.pop("DATABASE_URL", None)
    full_env.pop("DASHSCOPE_API_KEY", None)
    full_env.update(env)
    # The log goes to a file, not a pipe: a pipe nobody reads fills up and blocks the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, log, base_url, startup_timeout)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _output(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def _wait_healthy(
    process: subprocess.Popen[bytes], log: IO[bytes], base_url: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited early:\n{_output(log)}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"serve did not become healthy in {timeout} s:\n{_output(log)}")
