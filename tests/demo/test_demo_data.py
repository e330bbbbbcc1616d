"""The bundled city-metro demo database: loads, reloads, is fully commented, and every verified
example runs read-only on it and returns rows.

Self-contained (its own throwaway database) so it runs with ``--noconftest``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from tests.helpers.pg import with_database
from txt2sql_api.demo.loader import demo_examples, demo_sql, load_demo
from txt2sql_api.sql.guard import check_sql

DEMO_TABLES = ("xlxx", "dtzpt", "hczxx", "zdkl_rtj", "ssxx", "v_zdrjkl")
FIRST_EXAMPLE = ("沈塘桥地铁站的信息", "SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'")
EXAMPLES = demo_examples()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def demo_url(pg_admin: str) -> AsyncIterator[str]:
    name = f"txt2sql_demo_test_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_admin)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(pg_admin, name)
    try:
        yield url
    finally:
        admin = await asyncpg.connect(pg_admin)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def loaded(demo_url: str) -> str:
    """The demo database, loaded once for the module."""
    assert await load_demo(demo_url) == len(EXAMPLES)
    return demo_url


@pytest_asyncio.fixture(loop_scope="session")
async def conn(loaded: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(loaded)
    try:
        yield connection
    finally:
        await connection.close()


def test_demo_sql_has_no_meta_commands_or_randomness() -> None:
    code = [line.split("--", 1)[0] for line in demo_sql().splitlines()]
    assert not any(line.lstrip().startswith("\\") for line in code)
    assert not any("random(" in line.lower() for line in code)
    assert not any("txt2sql" in line.lower() for line in code)


async def test_load_is_rerunnable_and_does_not_duplicate_examples(loaded: str) -> None:
    conn = await asyncpg.connect(loaded)
    try:
        before = await conn.fetchval("SELECT count(*) FROM zdkl_rtj")
        fingerprint = await conn.fetchval(
            "SELECT sum(jzl::bigint * 3 + czl * 7 + hcl) FROM zdkl_rtj"
        )
    finally:
        await conn.close()

    # The loader returns how many examples are stored; a second load adds none.
    assert await load_demo(loaded) == len(EXAMPLES)

    conn = await asyncpg.connect(loaded)
    try:
        assert await conn.fetchval("SELECT count(*) FROM txt2sql.examples") == len(EXAMPLES)
        assert await conn.fetchval("SELECT count(*) FROM zdkl_rtj") == before
        # Deterministic data: the reload reproduces the same figures.
        assert (
            await conn.fetchval("SELECT sum(jzl::bigint * 3 + czl * 7 + hcl) FROM zdkl_rtj")
            == fingerprint
        )
        sources = await conn.fetch("SELECT DISTINCT source FROM txt2sql.examples")
        assert [r["source"] for r in sources] == ["seed"]
    finally:
        await conn.close()


async def test_every_table_and_column_has_a_comment(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch(
        """
        SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
        """,
        list(DEMO_TABLES),
    )
    comments = {r["relname"]: r["comment"] for r in rows}
    assert set(comments) == set(DEMO_TABLES)
    assert all(c and c.strip() for c in comments.values()), comments
    assert comments["dtzpt"] == "地铁站点"
    assert comments["xlxx"] == "线路信息"
    assert comments["hczxx"] == "换乘站信息"
    assert comments["zdkl_rtj"] == "站点客流日统计"
    assert comments["ssxx"] == "站点设施"

    columns = await conn.fetch(
        """
        SELECT c.relname, a.attname, col_description(c.oid, a.attnum) AS comment
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
          AND a.attnum > 0 AND NOT a.attisdropped
        """,
        list(DEMO_TABLES),
    )
    assert len(columns) > 30
    missing = [
        f"{r['relname']}.{r['attname']}"
        for r in columns
        if not (r["comment"] and r["comment"].strip())
    ]
    assert missing == []


async def test_schema_shape(conn: asyncpg.Connection) -> None:
    fks = await conn.fetch(
        """
        SELECT conrelid::regclass::text AS src, confrelid::regclass::text AS dst
        FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace
        """
    )
    edges = {(r["src"], r["dst"]) for r in fks}
    assert {
        ("dtzpt", "xlxx"),
        ("hczxx", "dtzpt"),
        ("zdkl_rtj", "dtzpt"),
        ("ssxx", "dtzpt"),
    } <= edges
    assert sum(1 for r in fks if r["src"] == "hczxx") == 2

    labels = await conn.fetchval("SELECT enum_range(NULL::sslx_enum)::text[]")
    assert labels == ["电梯", "扶梯", "自动售票机", "闸机", "卫生间", "母婴室"]
    assert await conn.fetchval("SELECT to_regclass('public.dtzpt_zdmc_idx') IS NOT NULL")
    assert await conn.fetchval("SELECT to_regclass('public.dtzpt_xlbh_idx') IS NOT NULL")
    assert not await conn.fetchval(
        """
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'txt2sql' AND c.relname = ANY($1::text[])
        """,
        list(DEMO_TABLES),
    )


async def test_row_counts_are_plausible(conn: asyncpg.Connection) -> None:
    counts = {
        t: await conn.fetchval(f"SELECT count(*) FROM {t}")
        for t in ("xlxx", "dtzpt", "hczxx", "zdkl_rtj", "ssxx")
    }
    assert 5 <= counts["xlxx"] <= 10
    assert 50 <= counts["dtzpt"] <= 120
    assert 5 <= counts["hczxx"] <= 20
    assert 1000 <= counts["zdkl_rtj"] <= 5000
    assert 150 <= counts["ssxx"] <= 400
    assert await conn.fetchval("SELECT count(DISTINCT tjrq) FROM zdkl_rtj") == 30
    non_transfer_with_transfers = await conn.fetchval(
        "SELECT count(*) FROM zdkl_rtj k JOIN dtzpt d USING (zdbh) WHERE NOT d.sfhcz AND k.hcl <> 0"
    )
    assert non_transfer_with_transfers == 0


async def test_shentangqiao_is_one_non_transfer_line_2_station(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch("SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'")
    assert len(rows) == 1
    (row,) = rows
    assert row["xlbh"] == "L02"
    assert row["xzq"] in {"拱墅区", "西湖区"}
    assert row["sfhcz"] is False


async def test_transfer_pairs_are_the_same_station_on_two_lines(conn: asyncpg.Connection) -> None:
    bad = await conn.fetchval(
        """
        SELECT count(*) FROM hczxx h
        JOIN dtzpt a ON a.zdbh = h.zdbh_a JOIN dtzpt b ON b.zdbh = h.zdbh_b
        WHERE a.zdmc <> b.zdmc OR a.xlbh = b.xlbh OR NOT a.sfhcz OR NOT b.sfhcz
        """
    )
    assert bad == 0
    unpaired = await conn.fetchval(
        """
        SELECT count(*) FROM dtzpt d WHERE d.sfhcz
          AND NOT EXISTS (SELECT 1 FROM hczxx h WHERE d.zdbh IN (h.zdbh_a, h.zdbh_b))
        """
    )
    assert unpaired == 0


def test_examples_are_unique_and_start_with_shentangqiao() -> None:
    assert len(EXAMPLES) >= 18
    assert EXAMPLES[0] == FIRST_EXAMPLE
    questions = [q for q, _ in EXAMPLES]
    assert len(set(questions)) == len(questions)
    assert all(q.strip() == q and q for q in questions)


@pytest.mark.parametrize(("question", "sql"), EXAMPLES, ids=[q for q, _ in EXAMPLES])
async def test_example_runs_read_only_and_returns_rows(
    conn: asyncpg.Connection, question: str, sql: str
) -> None:
    assert not sql.rstrip().endswith(";")
    check = check_sql(sql)
    assert check.valid, check.problems
    async with conn.transaction(readonly=True):
        rows = await conn.fetch(sql)
    assert rows, question
