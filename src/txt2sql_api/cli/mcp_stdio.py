"""`txt2sql-api mcp`: the MCP server over stdio, on the same state `serve` builds. Standard
output carries the protocol alone; the logs go to standard error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from txt2sql_api.api.state import AppState
from txt2sql_api.config import Settings
from txt2sql_api.mcp_server.server import build_server
from txt2sql_api.observability.metrics import Metrics
from txt2sql_api.shutdown import Drain
from txt2sql_api.wiring import build_state


async def serve_stdio(settings: Settings) -> None:
    @asynccontextmanager
    async def state() -> AsyncIterator[AppState]:
        async with AsyncExitStack() as stack:
            # Over stdio the agent ends the server by closing its input: nothing to drain.
            yield await build_state(stack, settings, Metrics(), Drain())

    await build_server(state).run_stdio_async()
