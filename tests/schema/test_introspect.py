"""Introspection and sample values against a real database with the shapes real schemas have."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.helpers.pg import Databases
from txt2sql_api.db.meta_schema import ensure_schema
from txt2sql_api.schema.introspect import SchemaSnapshot, Table, enumerated_values, introspect
from txt2sql_api.schema.sample_values import SampleLimits, fill_samples
from txt2sql_api.schema.value_index import ColumnRef

DDL = """
CREATE SCHEMA sales;
CREATE TYPE sales.qd AS ENUM ('线上', '门店', 'app');
CREATE TABLE sales.hy (
    hybh integer, dq text, PRIMARY KEY (hybh, dq),
    dj text NOT NULL DEFAULT '普通' CHECK (dj IN ('普通', '银卡', '金卡')),
    xm text, UNIQUE (xm, dq)
);
COMMENT ON TABLE sales.hy IS '会员';
COMMENT ON COLUMN sales.hy.dj IS '会员等级';
CREATE TABLE sales.dd (
    ddh bigint PRIMARY KEY, hybh integer, dq text, je numeric(12,2) CHECK (je >= 0), bz text,
    qd sales.qd, zt varchar(8), city text,
    FOREIGN KEY (hybh, dq) REFERENCES sales.hy (hybh, dq)
);
CREATE VIEW sales.dd_v AS SELECT d.ddh, d.je, h.dj FROM sales.dd d JOIN sales.hy h USING (hybh, dq);
CREATE MATERIALIZED VIEW sales.dd_mv AS SELECT count(*) AS n FROM sales.dd;
CREATE TABLE sales.tmp_import (id int);
CREATE TABLE sales.empty_t (zt text);
CREATE TABLE public.other (id int PRIMARY KEY);
ALTER TABLE sales.dd DROP COLUMN bz;
ALTER TABLE sales.dd ADD COLUMN je2 numeric;
INSERT INTO sales.hy SELECT g, '杭州', (ARRAY['普通', '银卡', '金卡'])[1 + g % 3], 'name' || g
FROM generate_series(1, 300) g;
INSERT INTO sales.dd SELECT g, 1 + g % 300, '杭州', g, 'app',
    (ARRAY['已付款', '已退款'])[1 + g % 2], (ARRAY['杭州', '宁波'])[1 + g % 2]
FROM generate_series(1, 1000) g;
ANALYZE sales.dd, sales.empty_t;
"""

LIMITS = SampleLimits(
    max_distinct=50,
    rows_scanned=10_000,
    statement_timeout_seconds=2,
    total_seconds=10,
    acquire_timeout_seconds=5,
)


@pytest.fixture(scope="module")
async def sales_url(databases: Databases) -> str:
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(DDL)
        await ensure_schema(conn)
    finally:
        await conn.close()
    return url


@pytest.fixture(scope="module")
async def snapshot(sales_url: str) -> SchemaSnapshot:
    pool = await asyncpg.create_pool(sales_url, min_size=0, max_size=2)
    try:
        async with pool.acquire() as conn:
            tables = await introspect(conn, ["sales", "txt2sql"], exclude=["tmp_*"])
        await fill_samples(pool, tables, LIMITS)
    finally:
        await pool.close()
    return SchemaSnapshot.model_validate({"tables": tables, "loaded_at": "2024-06-01T00:00:00Z"})


def _table(snapshot: SchemaSnapshot, name: str) -> Table:
    table = snapshot.table(name)
    assert table is not None
    return table


def test_only_configured_schemas_and_tables(snapshot: SchemaSnapshot) -> None:
    assert [t.qualified_name for t in snapshot.tables] == [
        "sales.dd",
        "sales.dd_mv",
        "sales.dd_v",
        "sales.empty_t",
        "sales.hy",
    ]


async def test_include_and_exclude_globs(sales_url: str) -> None:
    conn = await asyncpg.connect(sales_url)
    try:
        only = await introspect(conn, ["sales", "public"], include=["dd*", "public.*"])
        none = await introspect(conn, ["sales"], include=["sales.*"], exclude=["*"])
    finally:
        await conn.close()
    assert [t.qualified_name for t in only] == [
        "public.other",
        "sales.dd",
        "sales.dd_mv",
        "sales.dd_v",
    ]
    assert none == []


def test_kinds_comments_defaults_and_nullability(snapshot: SchemaSnapshot) -> None:
    hy = _table(snapshot, "sales.hy")
    assert hy.kind == "table"
    assert hy.comment == "会员"
    dj = next(c for c in hy.columns if c.name == "dj")
    assert dj.comment == "会员等级"
    assert dj.nullable is False
    assert dj.default == "'普通'::text"
    assert _table(snapshot, "sales.dd_v").kind == "view"
    assert _table(snapshot, "sales.dd_mv").kind == "materialized_view"


def test_composite_keys_and_dropped_columns(snapshot: SchemaSnapshot) -> None:
    hy, dd = _table(snapshot, "sales.hy"), _table(snapshot, "sales.dd")
    assert hy.primary_key == ["hybh", "dq"]
    assert hy.unique == [["xm", "dq"]]
    (fk,) = dd.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (
        ["hybh", "dq"],
        "sales.hy",
        ["hybh", "dq"],
    )
    assert [c.name for c in dd.columns] == ["ddh", "hybh", "dq", "je", "qd", "zt", "city", "je2"]
    assert next(c.type for c in dd.columns if c.name == "ddh") == "bigint"


def test_check_constraints_with_their_values_and_enum_labels(snapshot: SchemaSnapshot) -> None:
    hy, dd = _table(snapshot, "sales.hy"), _table(snapshot, "sales.dd")
    dj = next(c for c in hy.columns if c.name == "dj")
    assert dj.check_values == ["普通", "银卡", "金卡"]
    assert any("je >=" in check for check in dd.checks)
    assert all(c.check_values is None for c in dd.columns)
    qd = next(c for c in dd.columns if c.name == "qd")
    assert qd.enum_values == ["线上", "门店", "app"]


@pytest.mark.parametrize(
    ("definition", "values"),
    [
        ("CHECK ((level = ANY (ARRAY['a'::text, 'b''c'::text])))", ["a", "b'c"]),
        ("CHECK (((s)::text = 'x'::text) OR ((s)::text = 'y'::text))", ["x", "y"]),
        ("CHECK ((s IN ('x', 'y')))", ["x", "y"]),
        ("CHECK ((xlcd > (0)::numeric))", None),
        ("CHECK (((s)::text = 'x'::text) OR (n > 1))", None),
        ("CHECK ((s = ANY (ARRAY[1, 2])))", None),
    ],
)
def test_enumerated_values_of_a_check(definition: str, values: list[str] | None) -> None:
    assert enumerated_values(definition) == values


def test_views_know_what_they_read_and_row_estimates(snapshot: SchemaSnapshot) -> None:
    assert _table(snapshot, "sales.dd_v").depends_on == ["sales.dd", "sales.hy"]
    assert _table(snapshot, "sales.dd").row_estimate == 1000  # analyzed
    assert _table(snapshot, "sales.hy").row_estimate is None  # never analyzed
    assert _table(snapshot, "sales.empty_t").has_data is False


def test_sample_values_of_low_cardinality_text_columns(snapshot: SchemaSnapshot) -> None:
    dd, hy = _table(snapshot, "sales.dd"), _table(snapshot, "sales.hy")
    samples = {c.name: c.sample_values for c in dd.columns + hy.columns}
    assert samples["zt"] == ["已付款", "已退款"]  # from pg_stats (dd is analyzed)
    assert samples["city"] == ["宁波", "杭州"]
    assert samples["xm"] == []  # 300 distinct names: not low-cardinality
    assert samples["dj"] == []  # its CHECK already lists the values


def test_value_index_maps_question_words_to_columns(snapshot: SchemaSnapshot) -> None:
    matches = snapshot.find_values("宁波的金卡会员在app下的已退款订单")
    assert [(m.value, m.start, m.holders) for m in matches] == [
        ("宁波", 0, (ColumnRef("sales.dd", "city"),)),
        ("金卡", 3, (ColumnRef("sales.hy", "dj"),)),
        ("app", 8, (ColumnRef("sales.dd", "qd"),)),
        ("已退款", 13, (ColumnRef("sales.dd", "zt"),)),
    ]
    assert snapshot.find_values("happy apple") == []  # "app" glued to other letters


async def test_a_locked_table_stalls_neither_introspection_nor_sampling(sales_url: str) -> None:
    """A table locked by another session: the catalog is read without waiting for it, and its
    sample read ends at the statement timeout."""
    locker = await asyncpg.connect(sales_url)
    pool = await asyncpg.create_pool(sales_url, min_size=0, max_size=2)
    try:
        await locker.execute("BEGIN; LOCK TABLE sales.hy IN ACCESS EXCLUSIVE MODE")
        async with pool.acquire() as conn:
            read = introspect(conn, ["sales"], include=["hy", "dd"])
            tables = await asyncio.wait_for(read, 5)
        limits = SampleLimits(50, 10_000, 0.2, total_seconds=5, acquire_timeout_seconds=5)
        await fill_samples(pool, tables, limits)
    finally:
        await locker.close()
        await pool.close()
    hy = next(t for t in tables if t.name == "hy")
    dd = next(t for t in tables if t.name == "dd")
    assert all(c.sample_values == [] for c in hy.columns)
    assert next(c for c in dd.columns if c.name == "city").sample_values == ["宁波", "杭州"]
