"""The lifespan's work: every part built from the settings, in the order a question needs them,
and closed in reverse by the exit stack. Without DATABASE_URL the state has no `database`."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from txt2sql_api.answer.observer import AnswerObserver
from txt2sql_api.answer.pipeline import Answerer, guard_view
from txt2sql_api.answer.reuse import ReusePolicy
from txt2sql_api.api.admission import Admission
from txt2sql_api.api.security.host_counters import HOST_COUNTERS_FILE, HostCounters
from txt2sql_api.api.security.keys import KeyRing
from txt2sql_api.api.security.quotas import LocalQuotas, Quotas, RedisCounters
from txt2sql_api.api.state import AppState, Database
from txt2sql_api.background import every
from txt2sql_api.config import Settings, read_keys
from txt2sql_api.conversations.store import ConversationStore, Retention
from txt2sql_api.db.follower import StoreFollower
from txt2sql_api.db.meta_schema import CHANGES_CHANNEL, GLOSSARY_CHANNEL, SCHEMA_CHANNEL
from txt2sql_api.db.pool import DATABASE_ERRORS, ServicePool, create_pool, why_unavailable
from txt2sql_api.db.privileges import writable_tables
from txt2sql_api.examples.answer_log import PRUNE_EVERY_SECONDS, AnswerLimits, RecentAnswers
from txt2sql_api.examples.retriever import ExampleRetriever
from txt2sql_api.examples.store import ExamplesStore
from txt2sql_api.examples.teacher import Teacher
from txt2sql_api.glossary.index import Glossary
from txt2sql_api.glossary.store import GlossaryStore
from txt2sql_api.llm.providers import client_for, destination
from txt2sql_api.llm.qwen_tokens import load_tokenizer
from txt2sql_api.observability.gc_freeze import freeze_long_lived
from txt2sql_api.observability.metrics import Metrics
from txt2sql_api.schema.cache import SchemaCache, SchemaSource
from txt2sql_api.schema.pruning import SchemaBudget
from txt2sql_api.schema.refreshes import SchemaRefreshes
from txt2sql_api.schema.sample_values import SampleLimits
from txt2sql_api.shutdown import Drain
from txt2sql_api.sql.guard import Visible
from txt2sql_api.sql.transaction import QueryLimits
from txt2sql_api.sql.verify import SqlVerifier
from txt2sql_api.urls import database_label

logger = logging.getLogger(__name__)


async def build_state(
    stack: AsyncExitStack, settings: Settings, metrics: Metrics, drain: Drain
) -> AppState:
    _say_where_things_go(settings)
    budget = SchemaBudget.from_settings(settings)
    database = None
    if settings.database_url:
        database = await _database(stack, settings, settings.database_url, metrics, budget)
    else:
        logger.warning("DATABASE_URL is not set: questions cannot be answered")
    return AppState(
        settings=settings,
        admission=Admission(settings.max_streams, await quotas(stack, settings), metrics),
        keys=_key_ring(settings),
        metrics=metrics,
        observer=AnswerObserver(
            metrics, model=settings.model, log_questions=settings.log_questions
        ),
        schema_budget=budget,
        drain=drain,
        database=database,
    )


async def _database(
    stack: AsyncExitStack,
    settings: Settings,
    database_url: str,
    metrics: Metrics,
    budget: SchemaBudget,
) -> Database:
    pool = await _open_pool(stack, database_url, settings)
    meta_url = settings.examples_database_url or database_url
    meta_pool = pool if meta_url == database_url else await _open_pool(stack, meta_url, settings)
    schema_cache = await _schema_cache(stack, pool, settings)
    refreshes = SchemaRefreshes(meta_pool, schema_cache, settings.db_acquire_timeout_seconds)
    _follow(stack, "schema", refreshes.sync, meta_url, SCHEMA_CHANNEL, settings)
    retriever = await _retriever(stack, meta_pool, meta_url, schema_cache, settings)
    llm = client_for(settings)
    stack.push_async_callback(llm.aclose)
    metrics.watch_threads(llm.threads)
    if problem := llm.unusable():
        logger.warning("%s /v1/ask will answer %s", problem.message, problem.code)
    limits = QueryLimits.from_settings(settings)

    async def visible() -> Visible:
        snapshot = (await schema_cache.get()).snapshot
        return guard_view(snapshot, limits, settings.allowed_functions)

    verifier = SqlVerifier(pool, limits, visible)
    glossary = Glossary(
        GlossaryStore(meta_pool, settings.db_acquire_timeout_seconds), verifier.problems
    )
    _follow(stack, "glossary", glossary.sync, meta_url, GLOSSARY_CHANNEL, settings)
    answerer = Answerer(
        schema_cache=schema_cache,
        schema_budget=budget,
        retriever=retriever,
        glossary=glossary,
        llm=llm,
        pool=pool,
        limits=limits,
        few_shot_k=settings.few_shot_k,
        repair_rounds=settings.repair_rounds,
        allowed_functions=settings.allowed_functions,
        timezone=settings.timezone,
        reuse=ReusePolicy(settings.reuse_examples, settings.reuse_min_score),
        charts=settings.charts,
        on_stale=_stale_reporter(retriever, metrics),
    )
    answers = RecentAnswers(meta_pool, AnswerLimits.from_settings(settings))
    conversations = ConversationStore(
        meta_pool,
        settings.db_acquire_timeout_seconds,
        Retention(settings.conversations_keep_seconds, settings.conversations_keep_max),
    )
    pruning = asyncio.create_task(
        every(PRUNE_EVERY_SECONDS, conversations.prune, "pruning old conversations")
    )
    stack.callback(pruning.cancel)
    await _warn_if_role_can_write(pool, settings)
    metrics.watch_pool(pool)
    return Database(
        pool=pool,
        schema_cache=schema_cache,
        schema_refreshes=refreshes,
        retriever=retriever,
        answerer=answerer,
        answers=answers,
        teacher=Teacher(retriever, verifier, answers),
        glossary=glossary,
        conversations=conversations,
    )


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


async def _retriever(
    stack: AsyncExitStack,
    meta_pool: ServicePool,
    meta_url: str,
    schema_cache: SchemaCache,
    settings: Settings,
) -> ExampleRetriever:
    timeout = settings.db_acquire_timeout_seconds
    retriever = ExampleRetriever(
        ExamplesStore(meta_pool, timeout),
        values=lambda: schema_cache.current.snapshot if schema_cache.current else None,
        on_rebuilt=freeze_long_lived,
    )
    stack.push_async_callback(retriever.close)
    _follow(stack, "examples", retriever.sync, meta_url, CHANGES_CHANNEL, settings)
    return retriever


def _stale_reporter(
    retriever: ExampleRetriever, metrics: Metrics
) -> Callable[[int, str], Awaitable[None]]:
    async def stale(example_id: int, reason: str) -> None:
        metrics.examples_stale.inc()
        await retriever.store.mark_stale(example_id, reason)

    return stale


def _follow(
    stack: AsyncExitStack,
    what: str,
    sync: Callable[[], Awaitable[object]],
    meta_url: str,
    channel: str,
    settings: Settings,
) -> None:
    follower = StoreFollower(
        what,
        sync,
        meta_url,
        channel,
        poll_seconds=settings.examples_sync_seconds,
        connect_timeout=settings.db_acquire_timeout_seconds,
    )
    follower.start()
    stack.push_async_callback(follower.close)


def _say_where_things_go(settings: Settings) -> None:
    """One line for whoever starts the service: where model calls go, which database, whether
    API keys are on. Never a password or key."""
    calls = destination(settings)
    key = "key set" if calls.key_set else f"no {calls.key_variable}"
    database = database_label(settings.database_url) if settings.database_url else "none"
    keys = len(read_keys(settings))
    access = f"on ({keys})" if keys else "off: open to anyone who can reach the port"
    logger.info(
        "model calls: %s at %s, model %s, %s; database: %s; API keys: %s",
        calls.name,
        calls.base_url,
        settings.model,
        key,
        database,
        access,
        extra={
            "fields": {
                "provider": calls.provider,
                "base_url": calls.base_url,
                "model": settings.model,
                "database": database,
                "api_keys": keys,
            }
        },
    )


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


async def quotas(stack: AsyncExitStack, settings: Settings) -> Quotas:
    """In Redis when there is one (every instance shares it); else, for the workers of one
    `serve --workers N`, in the host's counters; else in process. The workers of one host also
    hold its stream cap there."""
    local = LocalQuotas(
        rate_per_second=settings.rate_limit_per_minute / 60,
        burst=settings.rate_limit_burst,
        max_streams=settings.max_streams_per_key,
    )
    workers = settings.workers > 1 and settings.workers_state_dir is not None
    if settings.redis_url is not None:
        # Imported only here: redis is ~7 MB of every process's memory.
        from redis.asyncio import Redis

        # Short timeouts: a request waits at most this long for Redis before the local fallback.
        redis = Redis.from_url(
            settings.redis_url.get_secret_value(), socket_timeout=0.5, socket_connect_timeout=0.5
        )
        stack.push_async_callback(redis.aclose)
        host = socket.gethostname() if workers else ""
        return Quotas(local, RedisCounters(redis), settings.redis_prefix, host=host)
    if workers:
        assert settings.workers_state_dir is not None
        counters = HostCounters(settings.workers_state_dir / HOST_COUNTERS_FILE)
        stack.callback(counters.close)
        return Quotas(local, counters, host="this")
    return Quotas(local)


async def _schema_cache(
    stack: AsyncExitStack, pool: ServicePool, settings: Settings
) -> SchemaCache:
    source = SchemaSource(
        pool=pool,
        schemas=settings.schemas,
        include=settings.tables_include,
        exclude=settings.tables_exclude,
        samples=SampleLimits.from_settings(settings),
    )
    cache = SchemaCache(source.load, settings.schema_ttl_seconds, on_loaded=freeze_long_lived)
    stack.push_async_callback(cache.close)
    # Warm up in the background: the first question should not wait for the catalog or the
    # tokenizer, and a database that is down must not stop the service from starting.
    cache.start()
    await asyncio.to_thread(load_tokenizer)
    return cache


async def _warn_if_role_can_write(pool: ServicePool, settings: Settings) -> None:
    try:
        async with pool.acquire(timeout=settings.db_acquire_timeout_seconds) as conn:
            writable = await writable_tables(conn, settings.schemas)
    except DATABASE_ERRORS as exc:
        assert settings.database_url is not None
        logger.warning(
            "database %s: %s; the service starts without it, /readyz answers 503 until it "
            "answers and the next question tries again",
            database_label(settings.database_url),
            why_unavailable(exc),
        )
        return
    if writable:
        logger.warning(
            "the database role can change %d of the tables it shows (%s%s): give the service "
            "a role with SELECT only (docs/security.md)",
            len(writable),
            ", ".join(writable[:5]),
            ", ..." if len(writable) > 5 else "",
        )
