"""The application factory: the lifespan opens pools, caches and the model client and yields
them as typed state; routers read it through small dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from txt2sql_api.api import errors
from txt2sql_api.api.middleware import AccessLogMiddleware, RequestIdMiddleware
from txt2sql_api.api.openapi import install as install_openapi
from txt2sql_api.api.openapi import operation_id
from txt2sql_api.api.routes import (
    ask,
    conversations,
    docs,
    examples,
    feedback,
    glossary,
    health,
    metrics,
    page,
    schema,
    stream_tokens,
)
from txt2sql_api.api.security.auth import REFUSALS, api_caller
from txt2sql_api.api.state import AppState
from txt2sql_api.config import Settings
from txt2sql_api.mcp_server.http import PATH as MCP_PATH
from txt2sql_api.mcp_server.http import McpEndpoint
from txt2sql_api.observability.logs import quiet_row_loggers
from txt2sql_api.observability.metrics import Metrics
from txt2sql_api.shutdown import Drain
from txt2sql_api.wiring import build_state


def create_app(settings: Settings | None = None, drain: Drain | None = None) -> FastAPI:
    """The app; `drain` is how the server that runs it tells answers in flight to end."""
    settings = settings or Settings()
    drain = drain or Drain()
    quiet_row_loggers()
    app_metrics = Metrics()
    mcp = McpEndpoint(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, AppState]]:
        async with AsyncExitStack() as stack:
            state = await build_state(stack, settings, app_metrics, drain)
            # Closed first: its calls end before the pools they use.
            await stack.enter_async_context(mcp.running(state))
            yield {"state": state}

    app = FastAPI(
        title="txt2sql-api",
        version="0.1.0",
        summary="Streaming text-to-SQL over PostgreSQL with Qwen on DashScope.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        max_body_size=settings.max_body_bytes,
        # Served by routers/docs.py, from this service's own files instead of a CDN.
        docs_url=None,
        redoc_url=None,
    )
    # Added innermost first: the request id is set before the access log line is written.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            # MCP-Protocol-Version: what a browser's MCP client (an inspector) sends to /mcp.
            allow_headers=[
                "Authorization",
                "X-API-Key",
                "Content-Type",
                "X-Request-ID",
                "MCP-Protocol-Version",
            ],
            expose_headers=["X-Request-ID", "X-Conversation-ID", "Retry-After", "X-Total-Count"],
            max_age=600,
        )
    errors.install(app)
    app.add_middleware(AccessLogMiddleware, metrics=app_metrics)
    app.add_middleware(RequestIdMiddleware)
    # /v1/ask identifies its caller itself: its stream ceilings come after the question's checks.
    app.include_router(ask.router, responses=REFUSALS)
    for router in (
        schema.router,
        examples.router,
        glossary.router,
        conversations.router,
        feedback.router,
        stream_tokens.router,
    ):
        responses = (
            REFUSALS if router is stream_tokens.router else {**REFUSALS, **errors.DATABASE_DOWN}
        )
        app.include_router(router, dependencies=[Depends(api_caller)], responses=responses)
    for router in (health.router, metrics.router, page.router, docs.router):
        app.include_router(router)
    # A route, not a mount: `/mcp` itself, as MCP clients are configured, with no redirect.
    # POST only: stateless, the server keeps no GET stream open and no session to DELETE.
    app.router.routes.append(Route(MCP_PATH, mcp, methods=["POST"], include_in_schema=False))
    app.mount("/static", page.static_files(), name="static")
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    install_openapi(app)
    return app
