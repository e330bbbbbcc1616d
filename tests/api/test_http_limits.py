"""HTTP limits before the app runs, on a real server over raw sockets: oversized headers get a
431, slow headers and slow bodies a 408, and past the cap on connections still sending their
request a new one gets a 503, while the server keeps answering others."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpers.app import demo_server_env
from tests.helpers.serve_process import serve
from tests.helpers.standin.dashscope_server import DashScopeStandIn

pytestmark = pytest.mark.slow

LIMITS = {
    "TXT2SQL_HTTP_MAX_HEADER_BYTES": "4096",
    "TXT2SQL_HTTP_HEADER_TIMEOUT_SECONDS": "0.5",
    "TXT2SQL_HTTP_BODY_TIMEOUT_SECONDS": "0.5",
    "TXT2SQL_HTTP_MAX_PENDING_REQUESTS": "3",
}


@pytest.fixture(scope="module")
def server(demo_db: str, standin_server: DashScopeStandIn) -> Iterator[str]:
    with serve(demo_server_env(demo_db, standin_server) | LIMITS) as base_url:
        yield base_url


def connect(base_url: str) -> socket.socket:
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10)
    return sock


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_headers_over_the_limit_get_431(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        assert answer(sock).startswith(b"HTTP/1.1 431 ")


def test_a_refused_client_may_go_on_sending_without_a_reset(server: str) -> None:
    # Closing on unread data makes the kernel reset the connection, which can destroy the
    # refusal before the client reads it; the server reads and drops for a while instead.
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8_000)
        assert answer(sock).startswith(b"HTTP/1.1 431 ")
        for _ in range(3):
            sock.sendall(b"a" * 10_000)
            time.sleep(0.05)
        assert sock.recv(1) == b""


def test_headers_that_never_end_get_408(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 408 ") and b"request headers" in reply


def test_a_body_that_stops_coming_gets_408(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"question"'
        )
        reply = answer(sock)
    assert reply.startswith(b"HTTP/1.1 408 ") and b"request body" in reply


def test_past_the_cap_on_pending_requests_a_connection_gets_503(server: str) -> None:
    slow = [connect(server) for _ in range(3)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        with connect(server) as extra:
            assert answer(extra).startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in slow:
            sock.close()
    # Once they are gone, requests are served as before.
    assert httpx.get(f"{server}/healthz", timeout=10).status_code == 200


def test_an_ordinary_request_is_unaffected(server: str) -> None:
    response = httpx.post(f"{server}/v1/examples", json={"question": " ", "sql": "x"}, timeout=10)
    assert response.status_code == 422
