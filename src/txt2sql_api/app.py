"""The application factory: the lifespan opens pools, caches and the model client and yields
them as typed state; routers read it through small dependencies."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
from fastapi import FastAPI

from txt2sql_api.config import Settings
from txt2sql_api.examples_store import ExamplesStore
from txt2sql_api.introspect import SchemaCache
from txt2sql_api.limits import StreamSlots
from txt2sql_api.llm import DashScopeClient
from txt2sql_api.pipeline import Answerer
from txt2sql_api.request_id import RequestIdMiddleware
from txt2sql_api.retrieval import ExampleRetriever
from txt2sql_api.routers import ask, examples, health, schema
from txt2sql_api.state import AppState

logger = logging.getLogger(__name__)


async def _open_pool(stack: AsyncExitStack, dsn: str, settings: Settings) -> asyncpg.Pool:
    # min_size=0: no connection at startup, so a database that is down does not stop the
    # service; jit=off: the JIT makes catalog and type introspection queries slow.
    pool = await asyncpg.create_pool(
        dsn,
        min_size=0,
        max_size=settings.db_pool_max,
        command_timeout=settings.db_command_timeout_seconds,
        server_settings={"jit": "off", "application_name": "txt2sql-api"},
    )
    stack.push_async_callback(pool.close)
    return pool


async def build_state(stack: AsyncExitStack, settings: Settings) -> AppState:
    slots = StreamSlots(settings.max_streams)
    if not settings.database_url:
        logger.warning("DATABASE_URL is not set: questions cannot be answered")
        return AppState(settings, None, None, None, None, slots)
    pool = await _open_pool(stack, settings.database_url, settings)
    meta_url = settings.examples_database_url
    meta_pool = (
        pool
        if meta_url == settings.database_url
        else await _open_pool(stack, meta_url or settings.database_url, settings)
    )
    timeout = settings.db_acquire_timeout_seconds
    schema_cache = SchemaCache(pool, settings.schemas, timeout)
    retriever = ExampleRetriever(ExamplesStore(meta_pool, timeout))
    llm = DashScopeClient(
        api_key=settings.dashscope_api_key.get_secret_value()
        if settings.dashscope_api_key
        else None,
        model=settings.model,
        first_token_timeout=settings.first_token_timeout_seconds,
        idle_timeout=settings.idle_timeout_seconds,
    )
    if llm.api_key is None:
        logger.warning("DASHSCOPE_API_KEY is not set: /v1/ask will answer missing_api_key")
    answerer = Answerer(schema_cache, retriever, llm, settings.few_shot_k)
    return AppState(settings, pool, schema_cache, retriever, answerer, slots)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, AppState]]:
        async with AsyncExitStack() as stack:
            yield {"state": await build_state(stack, settings)}

    app = FastAPI(
        title="txt2sql-api",
        version="0.1.0",
        summary="Streaming text-to-SQL over PostgreSQL with Qwen on DashScope.",
        lifespan=lifespan,
    )
    app.add_middleware(RequestIdMiddleware)
    for router in (ask.router, schema.router, examples.router, health.router):
        app.include_router(router)
    return app
