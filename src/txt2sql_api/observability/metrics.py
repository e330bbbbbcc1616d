"""Prometheus metrics, in a registry of each app's own (several apps can live in one process)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Protocol

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class ThreadCounts(Protocol):
    """Model-call threads as a provider that runs them reports them."""

    @property
    def busy(self) -> int: ...

    @property
    def alive(self) -> int: ...


# Set by `serve --workers N` for its workers: prometheus_client keeps their values in files there.
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Seconds: from a few milliseconds (a cached answer's first event) to a slow model's minute.
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)


class _PoolCollector(Collector):
    """Reads the pool's size at scrape time; the pool only exists once the lifespan runs."""

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connections = GaugeMetricFamily(
            "txt2sql_db_pool_connections",
            "Database connections of the query pool, by state.",
            labels=["state"],
        )
        limit = GaugeMetricFamily(
            "txt2sql_db_pool_max_connections", "Most connections the query pool opens."
        )
        if self.pool is not None:
            size, idle = self.pool.get_size(), self.pool.get_idle_size()
            connections.add_metric(["in_use"], size - idle)
            connections.add_metric(["idle"], idle)
            limit.add_metric([], self.pool.get_max_size())
        yield connections
        yield limit


class _RuntimeCollector(Collector):
    """Tasks on the event loop and model-call threads, read at scrape time: both must come
    back to where they were once streams end, however the streams ended (a leak shows here)."""

    def __init__(self) -> None:
        self.threads: ThreadCounts | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        tasks = GaugeMetricFamily(
            "txt2sql_event_loop_tasks", "Tasks alive on the event loop, the scrape's own included."
        )
        try:
            tasks.add_metric([], len(asyncio.all_tasks()))
        except RuntimeError:
            pass  # scraped off the event loop's thread: nothing to count
        yield tasks
        threads = GaugeMetricFamily(
            "txt2sql_upstream_threads",
            "Model-call threads: busy with a call, or idle (waiting for one, or starting others).",
            labels=["state"],
        )
        if self.threads is not None:
            busy, alive = self.threads.busy, self.threads.alive
            threads.add_metric(["busy"], busy)
            threads.add_metric(["idle"], max(alive - busy, 0))
        yield threads


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "txt2sql_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self.answers = Counter(
            "txt2sql_answers", "Answered questions by outcome.", ["outcome"], registry=r
        )
        # Under `serve --workers N`, summed over the live workers.
        self.live_streams = Gauge(
            "txt2sql_live_streams", "Streams running now.", registry=r, multiprocess_mode="livesum"
        )
        self.first_event = Histogram(
            "txt2sql_first_event_seconds",
            "From the start of a stream to its first event.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.answer_time = Histogram(
            "txt2sql_answer_seconds",
            "From the start of a stream to its end.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "txt2sql_upstream_errors", "Model call failures by error code.", ["code"], registry=r
        )
        self.tokens = Counter(
            "txt2sql_tokens", "Model tokens used.", ["model", "direction"], registry=r
        )
        self.sql_rejected = Counter(
            "txt2sql_sql_rejected",
            "Problems found in the model's SQL, by problem code.",
            ["reason"],
            registry=r,
        )
        self.answers_by_source = Counter(
            "txt2sql_answers_by_source",
            "Answers whose SQL came from the model or from a verified example.",
            ["source"],
            registry=r,
        )
        self.model_calls_saved = Counter(
            "txt2sql_model_calls_saved",
            "Questions answered from a verified example, without a model call.",
            registry=r,
        )
        self.examples_stale = Counter(
            "txt2sql_examples_stale",
            "Verified examples a question matched whose SQL no longer checked.",
            registry=r,
        )
        self.refused = Counter(
            "txt2sql_refused_requests",
            "Requests refused by access control and quotas, by reason.",
            ["reason"],
            registry=r,
        )
        self._pool = _PoolCollector()
        r.register(self._pool)
        self._runtime = _RuntimeCollector()
        r.register(self._runtime)

    def exposition(self) -> bytes:
        """The metrics as Prometheus reads them. Under `serve --workers N` (prometheus_client's
        multiprocess mode) the counters, histograms and live gauges of every worker, added up;
        the pool, task and thread gauges are the answering worker's."""
        if not os.environ.get(MULTIPROCESS_DIR_VARIABLE):
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        host = CollectorRegistry()
        multiprocess.MultiProcessCollector(host)  # type: ignore[no-untyped-call]
        host.register(self._pool)
        host.register(self._runtime)
        return generate_latest(host)

    def watch_pool(self, pool: asyncpg.Pool | None) -> None:
        self._pool.pool = pool

    def watch_threads(self, threads: ThreadCounts) -> None:
        self._runtime.threads = threads
