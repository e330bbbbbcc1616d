"""Example retrieval with 100,000 stored examples, in a throwaway copy of the demo database.

The examples are generated from the demo's 31 verified pairs: each a variant with another
station, line, district, month, day or number, a phrasing prefix and suffix, in question and SQL
alike. That makes a hard store for retrieval: thousands of examples share each question's
vocabulary, so the postings of its terms are long.

Measures: the first sync (reading every example from PostgreSQL and indexing it), the memory
the index holds (tracemalloc: Python objects, arrays and numpy buffers), retrieval latency for
the twin set and the demo's questions (top 5, values masked with the demo's snapshot), an
incremental add (store write, then sync) and an index upsert alone, and the twin set's hit@1 /
hit@3 on the bare demo store.
"""

from __future__ import annotations

import asyncio
import random
import time
import tracemalloc
from typing import Any

import asyncpg

from bench.figures import ms, percentiles, table
from tests.helpers.pg import Databases, admin_dsn
from tests.helpers.retrieval_set import TWINS
from txt2sql_api.config import Settings
from txt2sql_api.demo.loader import demo_examples, load_demo
from txt2sql_api.examples.retriever import ExampleRetriever, Masker, Shot, build_index
from txt2sql_api.examples.store import ExamplesStore, Pair
from txt2sql_api.schema.cache import SchemaSource
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.sample_values import SampleLimits

STORED = 100_000
ROUNDS = 30  # each question of the query set this many times
ADDS = 50
K = 5
SEED = 4

STATIONS = ["沈塘桥", "龙翔桥", "武林广场", "凤起路", "火车东站", "城站", "近江", "钱江路", "西兴"]
LINES = ["1号线", "2号线", "3号线", "4号线", "5号线", "6号线"]
DISTRICTS = ["西湖区", "上城区", "拱墅区", "滨江区", "萧山区", "余杭区"]
PREFIXES = ["", "请问", "帮我查一下", "我想知道", "查询", "统计一下", "看看"]
SUFFIXES = ["", "？", "，谢谢", "呢", "是多少", "有哪些"]


def _variant(rng: random.Random, question: str, sql: str, number: int) -> tuple[str, str]:
    for names in (STATIONS, LINES, DISTRICTS):
        for name in names:
            if name in question:
                other = rng.choice(names)
                question, sql = question.replace(name, other), sql.replace(name, other)
    month = rng.randint(1, 12)
    question = question.replace("6月", f"{month}月")
    sql = sql.replace("-06-", f"-{month:02d}-")
    question = f"{rng.choice(PREFIXES)}{question}{rng.choice(SUFFIXES)}（{number}）"
    return question, sql


def generated(count: int) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    demo = demo_examples()
    return [_variant(rng, *demo[i % len(demo)], i) for i in range(count)]


async def _snapshot(url: str) -> SchemaSnapshot:
    async with asyncpg.create_pool(url, min_size=0, max_size=2) as pool:
        limits = SampleLimits.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
        return await SchemaSource(pool, ["public"], ["*"], [], limits).load()


async def _memory(store: ExamplesStore, snapshot: SchemaSnapshot) -> dict[str, float]:
    """What a first sync leaves held, and its peak (a run of its own: tracemalloc slows
    everything it watches several times over)."""
    retriever = ExampleRetriever(store, values=lambda: snapshot)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    await retriever.sync()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del retriever
    return {
        "index_memory_mb": round((held - before) / 2**20, 1),
        "first_sync_peak_memory_mb": round((peak - before) / 2**20, 1),
    }


def twin_hits(snapshot: SchemaSnapshot) -> dict[str, float]:
    shots = [Shot(i, q, sql) for i, (q, sql) in enumerate(demo_examples(), start=1)]
    index = build_index(shots, Masker(snapshot))
    ranks = []
    for question, twin in TWINS:
        found = [s.example.question for s in index.search(question, K)]
        ranks.append(found.index(twin) + 1 if twin in found else None)
    return {
        "questions": len(TWINS),
        "hit_at_1": round(sum(r == 1 for r in ranks) / len(ranks), 4),
        "hit_at_3": round(sum(r is not None and r <= 3 for r in ranks) / len(ranks), 4),
    }


async def _run(admin: str) -> dict[str, Any]:
    databases = Databases(admin)
    try:
        url = await databases.create()
        await load_demo(url)
        snapshot = await _snapshot(url)
        conn = await asyncpg.connect(url)
        try:
            await conn.copy_records_to_table(
                "examples",
                schema_name="txt2sql",
                columns=["question", "sql", "source"],
                records=[(q, sql, "api") for q, sql in generated(STORED)],
            )
            stored = await conn.fetchval("SELECT count(*) FROM txt2sql.examples")
        finally:
            await conn.close()
        async with asyncpg.create_pool(url, min_size=0, max_size=2) as pool:
            store = ExamplesStore(pool, 5)
            memory = await _memory(store, snapshot)
            retriever = ExampleRetriever(store, values=lambda: snapshot)
            start = time.perf_counter()
            await retriever.sync()
            first_sync = time.perf_counter() - start
            questions = [q for q, _ in TWINS] + [q for q, _ in demo_examples()]
            latencies = []
            for _ in range(ROUNDS):
                for question in questions:
                    start = time.perf_counter()
                    await retriever.top_k(question, K)
                    latencies.append(time.perf_counter() - start)
            adds = []
            for number in range(ADDS):
                pair = Pair(f"新加的问题{number}：沈塘桥站的出口", "SELECT ckgs FROM dtzpt")
                start = time.perf_counter()
                await retriever.add(pair)
                adds.append(time.perf_counter() - start)
        index = build_index([], Masker(snapshot))
        upserts = []
        for number in range(ADDS * 20):
            item = Shot(10**9 + number, f"龙翔桥站{number % 12 + 1}月的进站量", "SELECT 1")
            start = time.perf_counter()
            index.upsert(item)
            upserts.append(time.perf_counter() - start)
        hits = twin_hits(snapshot)
    finally:
        await databases.drop_all()
    return {
        "stored_examples": stored,
        "indexed_examples": len(retriever),
        "k": K,
        "first_sync_ms": ms(first_sync),
        **memory,
        "queries": len(latencies),
        "retrieval": percentiles(latencies),
        "add_then_sync": percentiles(adds),
        "index_upsert": percentiles(upserts),
        "twin_set_on_demo_store": hits,
    }


def run() -> dict[str, Any]:
    with admin_dsn() as admin:
        return asyncio.run(_run(admin))


def markdown(result: dict[str, Any]) -> str:
    retrieval, adds, upserts = result["retrieval"], result["add_then_sync"], result["index_upsert"]
    hits = result["twin_set_on_demo_store"]
    rows = [
        ("stored examples", f"{result['stored_examples']:,}", ""),
        ("first sync: read and index them all", f"{result['first_sync_ms']:.0f} ms", ""),
        (
            "index memory held (peak during the first sync)",
            f"{result['index_memory_mb']} MB ({result['first_sync_peak_memory_mb']} MB)",
            "",
        ),
        (
            f"retrieval, top {result['k']}, p50 / p99 ({result['queries']} queries)",
            f"{retrieval['p50_ms']} / {retrieval['p99_ms']} ms",
            "p50 ≤ 5 ms",
        ),
        (
            "add (store write + incremental sync) p50 / p99",
            f"{adds['p50_ms']} / {adds['p99_ms']} ms",
            "",
        ),
        ("index upsert alone p50 / p99", f"{upserts['p50_ms']} / {upserts['p99_ms']} ms", ""),
        (
            f"twin set on the demo store ({hits['questions']}): hit@1 / hit@3",
            f"{hits['hit_at_1']:.1%} / {hits['hit_at_3']:.1%}",
            "hit@3 100 %",
        ),
    ]
    return table(rows)
