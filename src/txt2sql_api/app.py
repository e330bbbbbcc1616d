"""The application factory: the lifespan opens pools, caches and the model client and yields
them as typed state; routers read it through small dependencies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import asyncpg
from fastapi import FastAPI

from txt2sql_api.config import Settings
from txt2sql_api.examples_store import ExamplesStore
from txt2sql_api.execute import QueryLimits, writable_tables
from txt2sql_api.limits import StreamSlots
from txt2sql_api.llm import DashScopeClient
from txt2sql_api.pipeline import DATABASE_ERRORS, Answerer
from txt2sql_api.pruning import SchemaBudget
from txt2sql_api.request_id import RequestIdMiddleware
from txt2sql_api.retrieval import ExampleRetriever
from txt2sql_api.routers import ask, examples, health, schema
from txt2sql_api.samples import SampleLimits
from txt2sql_api.schema_cache import SchemaCache, SchemaSource
from txt2sql_api.state import AppState
from txt2sql_api.tokens import load_tokenizer

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
    schema_cache = await _schema_cache(stack, pool, settings)
    retriever = ExampleRetriever(ExamplesStore(meta_pool, timeout))
    llm = DashScopeClient(
        api_key=settings.dashscope_api_key.get_secret_value()
        if settings.dashscope_api_key
        else None,
        model=settings.model,
        first_token_timeout=settings.first_token_timeout_seconds,
        idle_timeout=settings.idle_timeout_seconds,
        retries=settings.upstream_retries,
        retry_base_seconds=settings.upstream_retry_base_seconds,
    )
    if llm.api_key is None:
        logger.warning("DASHSCOPE_API_KEY is not set: /v1/ask will answer missing_api_key")
    limits = QueryLimits(
        statement_timeout_seconds=settings.statement_timeout_seconds,
        max_rows=settings.max_rows,
        max_bytes=settings.max_result_bytes,
        batch_rows=settings.rows_batch,
        acquire_timeout_seconds=timeout,
    )
    answerer = Answerer(
        schema_cache=schema_cache,
        schema_budget=SchemaBudget.of(settings),
        retriever=retriever,
        llm=llm,
        pool=pool,
        limits=limits,
        few_shot_k=settings.few_shot_k,
        repair_rounds=settings.repair_rounds,
    )
    await _warn_if_role_can_write(pool, settings)
    return AppState(settings, pool, schema_cache, retriever, answerer, slots)


async def _schema_cache(
    stack: AsyncExitStack, pool: asyncpg.Pool, settings: Settings
) -> SchemaCache:
    source = SchemaSource(
        pool=pool,
        schemas=settings.schemas,
        include=settings.tables_include,
        exclude=settings.tables_exclude,
        samples=SampleLimits.of(settings),
    )
    cache = SchemaCache(source.load, settings.schema_ttl_seconds)
    stack.push_async_callback(cache.close)
    # Warm up in the background: the first question should not wait for the catalog or the
    # tokenizer, and a database that is down must not stop the service from starting.
    cache.start()
    await asyncio.to_thread(load_tokenizer)
    return cache


async def _warn_if_role_can_write(pool: asyncpg.Pool, settings: Settings) -> None:
    try:
        async with pool.acquire(timeout=settings.db_acquire_timeout_seconds) as conn:
            writable = await writable_tables(conn, settings.schemas)
    except DATABASE_ERRORS as exc:
        logger.warning("could not check the database role's privileges: %s", exc)
        return
    if writable:
        logger.warning(
            "the database role can change %d of the tables it shows (%s%s): give the service "
            "a role with SELECT only (README: read-only role)",
            len(writable),
            ", ".join(writable[:5]),
            ", ..." if len(writable) > 5 else "",
        )


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
