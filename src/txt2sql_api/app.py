"""The application factory: the lifespan opens pools, caches and the model client and yields
them as typed state; routers read it through small dependencies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg
from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware

from txt2sql_api.access import REFUSALS, api_caller, hold_stream_slot
from txt2sql_api.access_log import AccessLogMiddleware
from txt2sql_api.answers import AnswerLimits, RecentAnswers
from txt2sql_api.config import Settings
from txt2sql_api.db import ServicePool, create_pool
from txt2sql_api.examples_follow import ExamplesFollower
from txt2sql_api.examples_store import ExamplesStore
from txt2sql_api.execute import DatabaseBusy, QueryLimits, writable_tables
from txt2sql_api.feedback import Teacher
from txt2sql_api.gc_freeze import freeze_long_lived
from txt2sql_api.keys import KeyRing, read_keys
from txt2sql_api.limits import StreamSlots
from txt2sql_api.llm import DashScopeClient
from txt2sql_api.metrics import Metrics
from txt2sql_api.observe import AnswerObserver
from txt2sql_api.openapi import install as install_openapi
from txt2sql_api.pipeline import DATABASE_ERRORS, Answerer
from txt2sql_api.pruning import SchemaBudget
from txt2sql_api.quotas import LocalQuotas, Quotas
from txt2sql_api.request_id import RequestIdMiddleware
from txt2sql_api.retrieval import ExampleRetriever
from txt2sql_api.routers import (
    ask,
    docs,
    examples,
    feedback,
    health,
    metrics,
    page,
    schema,
    tokens,
)
from txt2sql_api.samples import SampleLimits
from txt2sql_api.schema_cache import SchemaCache, SchemaSource
from txt2sql_api.sql_verify import SqlVerifier
from txt2sql_api.state import AppState
from txt2sql_api.tokens import load_tokenizer

logger = logging.getLogger(__name__)


async def _open_pool(stack: AsyncExitStack, dsn: str, settings: Settings) -> ServicePool:
    # min_size=0: no connection at startup, so a database that is down does not stop the
    # service; jit=off: the JIT makes catalog and type introspection queries slow.
    pool = await create_pool(
        dsn,
        min_size=0,
        max_size=settings.db_pool_max,
        command_timeout=settings.db_command_timeout_seconds,
        server_settings={"jit": "off", "application_name": "txt2sql-api"},
    )
    stack.push_async_callback(pool.close)
    return pool


async def build_state(stack: AsyncExitStack, settings: Settings, metrics: Metrics) -> AppState:
    state = AppState(
        settings=settings,
        stream_slots=StreamSlots(settings.max_streams),
        keys=_key_ring(settings),
        quotas=await _quotas(stack, settings),
        metrics=metrics,
        observer=AnswerObserver(
            metrics, model=settings.model, log_questions=settings.log_questions
        ),
    )
    if not settings.database_url:
        logger.warning("DATABASE_URL is not set: questions cannot be answered")
        return state
    pool = await _open_pool(stack, settings.database_url, settings)
    meta_url = settings.examples_database_url
    meta_pool = (
        pool
        if meta_url == settings.database_url
        else await _open_pool(stack, meta_url or settings.database_url, settings)
    )
    timeout = settings.db_acquire_timeout_seconds
    schema_cache = await _schema_cache(stack, pool, settings)
    retriever = ExampleRetriever(
        ExamplesStore(meta_pool, timeout),
        values=lambda: schema_cache.current.snapshot if schema_cache.current else None,
        on_rebuilt=freeze_long_lived,
    )
    stack.push_async_callback(retriever.close)
    follower = ExamplesFollower(
        retriever,
        meta_url or settings.database_url,
        poll_seconds=settings.examples_sync_seconds,
        connect_timeout=timeout,
    )
    follower.start()
    stack.push_async_callback(follower.close)
    llm = DashScopeClient(
        api_key=settings.dashscope_api_key.get_secret_value()
        if settings.dashscope_api_key
        else None,
        model=settings.model,
        first_token_timeout=settings.first_token_timeout_seconds,
        enable_thinking=settings.enable_thinking,
        thinking_budget=settings.thinking_budget,
        thinking_first_token_timeout=settings.thinking_first_token_timeout_seconds,
        idle_timeout=settings.idle_timeout_seconds,
        total_timeout=settings.total_timeout_seconds,
        thread_idle_seconds=settings.upstream_thread_idle_seconds,
        retries=settings.upstream_retries,
        retry_base_seconds=settings.upstream_retry_base_seconds,
        retry_within_seconds=settings.upstream_retry_within_seconds,
    )
    stack.callback(llm.close)
    metrics.watch_threads(llm.threads)
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
    answers = RecentAnswers(
        meta_pool,
        AnswerLimits(settings.answers_keep_seconds, settings.answers_keep_max, timeout),
    )
    verifier = SqlVerifier(pool, limits, lambda: _known_tables(schema_cache))
    await _warn_if_role_can_write(pool, settings)
    metrics.watch_pool(pool)
    state.pool, state.schema_cache, state.retriever = pool, schema_cache, retriever
    state.answerer, state.answers = answerer, answers
    state.teacher = Teacher(retriever, verifier, answers)
    return state


async def _known_tables(schema_cache: SchemaCache) -> frozenset[tuple[str, str]]:
    return (await schema_cache.get()).snapshot.names()


def _key_ring(settings: Settings) -> KeyRing:
    keys = read_keys(settings)
    if not keys:
        logger.warning(
            "NO API KEYS ARE SET: anyone who can reach this port can use /v1 and run SQL on the "
            "database. Set TXT2SQL_API_KEYS=key1,key2 (or TXT2SQL_API_KEYS_FILE=/path, one key a "
            "line) to require `Authorization: Bearer <key>` or `X-API-Key: <key>`."
        )
    else:
        logger.info("access: %d API keys", len(keys))
    return KeyRing(keys, settings.stream_token_seconds)


async def _quotas(stack: AsyncExitStack, settings: Settings) -> Quotas:
    local = LocalQuotas(
        rate_per_second=settings.rate_limit_per_minute / 60,
        burst=settings.rate_limit_burst,
        max_streams=settings.max_streams_per_key,
    )
    if settings.redis_url is None:
        return Quotas(local)
    # Imported only here: redis is ~7 MB of every process's memory.
    from redis.asyncio import Redis

    # Short timeouts: a request waits at most this long for Redis before the local fallback.
    redis = Redis.from_url(
        settings.redis_url.get_secret_value(), socket_timeout=0.5, socket_connect_timeout=0.5
    )
    stack.push_async_callback(redis.aclose)
    return Quotas(local, redis, settings.redis_prefix)


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
    cache = SchemaCache(source.load, settings.schema_ttl_seconds, on_loaded=freeze_long_lived)
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


DATABASE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "The database cannot be reached; retry after `Retry-After`."}
}


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A route that needs the database while it is away: a 503 that names no server, never a
    500 with a traceback."""
    logger.warning("database unavailable: %s", exc)
    detail = str(exc) if isinstance(exc, DatabaseBusy) else type(exc).__name__
    return JSONResponse(
        {"detail": f"database unavailable: {detail}"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "1"},
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app_metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, AppState]]:
        async with AsyncExitStack() as stack:
            yield {"state": await build_state(stack, settings, app_metrics)}

    app = FastAPI(
        title="txt2sql-api",
        version="0.1.0",
        summary="Streaming text-to-SQL over PostgreSQL with Qwen on DashScope.",
        lifespan=lifespan,
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
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _database_unavailable)
    app.add_middleware(AccessLogMiddleware, metrics=app_metrics)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(ask.router, dependencies=[Depends(hold_stream_slot)], responses=REFUSALS)
    for router in (schema.router, examples.router, feedback.router, tokens.router):
        responses = REFUSALS if router is tokens.router else {**REFUSALS, **DATABASE_DOWN}
        app.include_router(router, dependencies=[Depends(api_caller)], responses=responses)
    for router in (health.router, metrics.router, page.router, docs.router):
        app.include_router(router)
    app.mount("/static", page.static_files(), name="static")
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    install_openapi(app)
    return app
