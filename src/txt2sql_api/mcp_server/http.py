"""`/mcp`: MCP's Streamable HTTP transport in the FastAPI app, behind the same API keys as
`/v1`. Stateless (a fresh transport per POST, no session to keep), so any instance behind a
load balancer answers any request, as for `/v1`; each POST answers as an SSE stream, which
carries a tool's progress notifications before its result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from txt2sql_api.api.security.auth import identify
from txt2sql_api.api.state import AppState
from txt2sql_api.config import Settings
from txt2sql_api.mcp_server.server import CALLER_SCOPE_KEY, build_server

PATH = "/mcp"


class McpEndpoint:
    """The ASGI app of `/mcp`, and the session manager the app's lifespan runs."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._state: AppState | None = None
        self.server = build_server(self._serving)
        self.server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            max_request_body_size=settings.max_body_bytes,
            # The Origin check is ours (`_origin_refused`, by TXT2SQL_CORS_ORIGINS), and a
            # Host check would refuse the names a proxy serves the service under.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    def running(self, state: AppState) -> AbstractAsyncContextManager[None]:
        """The session manager, run within the app's lifespan, on the state it built."""
        self._state = state
        return self.server.session_manager.run()

    @asynccontextmanager
    async def _serving(self) -> AsyncIterator[AppState]:
        assert self._state is not None  # `running` set it before the manager starts
        yield self._state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._state is not None
        request = Request(scope, receive)
        try:
            self._origin_refused(request)
            scope[CALLER_SCOPE_KEY] = await identify(self._state, request)
        except HTTPException as exc:
            response = JSONResponse({"detail": exc.detail}, exc.status_code, exc.headers)
            await response(scope, receive, send)
            return
        await self.server.session_manager.handle_request(scope, receive, send)

    def _origin_refused(self, request: Request) -> None:
        """MCP wants servers to check Origin (a web page must not reach a local server through
        DNS rebinding): a browser's request comes only from an origin CORS allows."""
        origin = request.headers.get("origin")
        if origin is not None and origin not in self._settings.cors_origins:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"origin {origin} is not allowed")
