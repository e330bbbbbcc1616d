"""The official MCP client SDK, connected to a running server's `/mcp` or to `txt2sql-api mcp`
over stdio, and what the tests read from its results."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from asgi_lifespan import LifespanManager
from mcp import Client, StdioServerParameters
from mcp.client.client import ConnectMode
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from tests.helpers.serve_process import CLI
from txt2sql_api.app import create_app
from txt2sql_api.config import Settings


@asynccontextmanager
async def http_client(
    base_url: str, key: str | None = None, mode: ConnectMode = "auto"
) -> AsyncIterator[Client]:
    """`mode`: "auto" (the 2026-07-28 protocol) or "legacy" (the 2025 initialize handshake)."""
    headers = {"Authorization": f"Bearer {key}"} if key else None
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http:
        transport = streamable_http_client(f"{base_url}/mcp", http_client=http)
        async with Client(transport, mode=mode) as client:
            yield client


@asynccontextmanager
async def stdio_client(env: Mapping[str, str]) -> AsyncIterator[Client]:
    """`txt2sql-api mcp` as the agent's child process, configured by `env` alone (and no .env:
    it runs in the temporary directory)."""
    command = StdioServerParameters(
        command=CLI, args=["mcp"], env=dict(env), cwd=tempfile.gettempdir()
    )
    async with Client(command) as client:
        yield client


def error_of(result: CallToolResult) -> dict[str, Any]:
    """A tool error's JSON object: its `code`, `message` and `retryable`."""
    assert result.is_error, result
    (content,) = result.content
    assert isinstance(content, TextContent)
    error: dict[str, Any] = json.loads(content.text)
    assert result.structured_content == error
    return error


def structured(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


@asynccontextmanager
async def app_client(settings: Settings, key: str | None = None) -> AsyncIterator[Client]:
    """The app in process (its lifespan run), its `/mcp` reached through ASGI."""
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {key}"} if key else None
    async with LifespanManager(app) as manager:
        asgi = httpx2.ASGITransport(app=manager.app)
        async with httpx2.AsyncClient(transport=asgi, headers=headers, timeout=30) as http:
            transport = streamable_http_client("http://testserver/mcp", http_client=http)
            async with Client(transport) as client:
                yield client
