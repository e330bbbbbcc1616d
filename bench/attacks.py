"""The attacks bench: for each class of hostile SQL, what it costs when sent as the service would
run it (the guard, then EXPLAIN and the rows under one deadline), as the database superuser on a
fresh demo database: wall time, the backend's peak memory (VmHWM in /proc), this process's
peak RSS, temporary-file bytes; and the guard's own time on the attack corpus and on 64 KB."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from bench.figures import percentile
from tests.helpers.attacks import ATTACKS
from tests.helpers.pg import Databases, admin_dsn
from txt2sql_api.db.pool import create_pool
from txt2sql_api.demo.loader import load_demo
from txt2sql_api.sql.guard import check_sql
from txt2sql_api.sql.run import run_query
from txt2sql_api.sql.transaction import Deadline, QueryFailed, QueryLimits
from txt2sql_api.sql.verify import verify_sql

DEMO = {("public", t) for t in ("dtzpt", "xlxx", "hczxx", "zdkl_rtj", "ssxx", "v_zdrjkl")}
LIMITS = QueryLimits(5.0, 500, 1_000_000, 100, 5.0, search_path=("public",))

CLASSES: list[tuple[str, str]] = [
    ("function outside the allow-list", "SELECT crosstab('SELECT zdmc, xlbh, ckgs FROM dtzpt')"),
    ("catalog table", "SELECT * FROM pg_authid"),
    ("a query that runs long", "SELECT count(*) FROM zdkl_rtj a, zdkl_rtj b, zdkl_rtj c"),
    ("planning that allocates", "SELECT length(repeat('x', 300000000) || repeat('y', 300000000))"),
    (
        "allowed functions at their bounds, aggregated",
        "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 100000)",
    ),
    ("wide rows", "SELECT repeat('x', 1000) AS x FROM generate_series(1, 100000)"),
    (
        "a large sort",
        "SELECT zdbh, tjrq FROM zdkl_rtj a, generate_series(1, 50) g "
        "ORDER BY md5(a.zdbh || g) LIMIT 1",
    ),
]


class _Peak:
    """Samples a process's memory every 20 ms until stopped: the backend's VmHWM (it is gone
    once the service closes its connection) and this process's RSS."""

    def __init__(self, backend_pid: int) -> None:
        self._status = Path(f"/proc/{backend_pid}/status")
        self.backend_kb = 0
        self.service_rss = psutil.Process().memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        self._read()
        while not self._stop.wait(0.02):
            self._read()

    def _read(self) -> None:
        self.service_rss = max(self.service_rss, psutil.Process().memory_info().rss)
        try:
            for line in self._status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.backend_kb = max(self.backend_kb, int(line.split()[1]))
        except OSError:
            pass  # the backend is gone: the service closed its connection at the deadline

    @contextmanager
    def running(self) -> Iterator[_Peak]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self._read()


async def _temp_bytes(conn: asyncpg.Connection[Any]) -> int:
    await conn.execute("SELECT pg_stat_force_next_flush()")
    return int(
        await conn.fetchval(
            "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"
        )
    )


async def _one(url: str, sql: str) -> dict[str, Any]:
    watcher = await asyncpg.connect(url)
    before = await _temp_bytes(watcher)
    rss_before = psutil.Process().memory_info().rss
    async with create_pool(url, min_size=1, max_size=1) as pool:
        pid = await pool.fetchval("SELECT pg_backend_pid()")
        peak = _Peak(pid)
        started = time.perf_counter()
        outcome = "ran"
        with peak.running():
            deadline = Deadline(LIMITS.statement_timeout_seconds)
            verified = await verify_sql(sql, DEMO, pool, LIMITS, deadline)
            if verified.problems:
                outcome = verified.problems[0].code
            else:
                try:
                    async for batch in run_query(pool, sql, LIMITS, deadline):
                        if batch.final and batch.truncated:
                            outcome = "truncated"
                except QueryFailed as failure:
                    outcome = failure.code
        wall = time.perf_counter() - started
    await asyncio.sleep(1.0)  # statistics are flushed about once a second
    after = await _temp_bytes(watcher)
    await watcher.close()
    return {
        "outcome": outcome,
        "wall_s": round(wall, 3),
        "backend_peak_mb": round(peak.backend_kb / 1024, 1),
        "service_rss_growth_mb": round((peak.service_rss - rss_before) / 2**20, 1),
        "temp_mb": round((after - before) / 2**20, 1),
    }


def _guard_times() -> dict[str, float]:
    times = []
    for sql, _ in ATTACKS:
        started = time.perf_counter()
        check_sql(sql, DEMO)
        times.append(time.perf_counter() - started)
    chained = "WITH " + ", ".join(f"c{i} AS (SELECT {i} AS x)" for i in range(2500))
    big = chained[: chained.rfind(", c", 0, 65000)] + " SELECT * FROM c1"
    started = time.perf_counter()
    check_sql(big, DEMO)
    worst = time.perf_counter() - started
    started = time.perf_counter()
    check_sql(big, DEMO, max_chars=20_000)
    capped = time.perf_counter() - started
    return {
        "corpus_statements": len(ATTACKS),
        "p50_ms": round(percentile(times, 50) * 1000, 3),
        "p99_ms": round(percentile(times, 99) * 1000, 3),
        "sql_64kb_chars": len(big),
        "sql_64kb_ms": round(worst * 1000, 1),
        "sql_64kb_capped_ms": round(capped * 1000, 3),
    }


async def _run(admin: str) -> dict[str, Any]:
    databases = Databases(admin)
    try:
        url = await databases.create()
        await load_demo(url)
        classes = {name: await _one(url, sql) for name, sql in CLASSES}
    finally:
        await databases.drop_all()
    return {
        "deadline_s": LIMITS.statement_timeout_seconds,
        "max_result_bytes": LIMITS.max_bytes,
        "as": "the database superuser",
        "classes": classes,
        "guard": _guard_times(),
        "date": time.strftime("%Y-%m-%d"),
    }


def run() -> dict[str, Any]:
    with admin_dsn() as admin:
        return asyncio.run(_run(admin))


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "| attack | outcome | wall (s) | backend peak (MB) | service RSS growth (MB) | temp (MB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, row in result["classes"].items():
        lines.append(
            f"| {name} | {row['outcome']} | {row['wall_s']} | {row['backend_peak_mb']} | "
            f"{row['service_rss_growth_mb']} | {row['temp_mb']} |"
        )
    guard = result["guard"]
    lines.append("")
    lines.append(
        f"Guard: p50 {guard['p50_ms']} ms, p99 {guard['p99_ms']} ms over "
        f"{guard['corpus_statements']} statements; {guard['sql_64kb_chars']} characters of CTEs "
        f"{guard['sql_64kb_ms']} ms ({guard['sql_64kb_capped_ms']} ms refused by the length cap)."
    )
    return "\n".join(lines)
