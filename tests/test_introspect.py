"""Introspection against a real database with the shapes real schemas have."""

from __future__ import annotations

import asyncpg
import pytest

from tests.pg import Databases
from txt2sql_api.examples_store import ensure_schema
from txt2sql_api.introspect import SchemaSnapshot, introspect

DDL = """
CREATE SCHEMA sales;
CREATE TABLE sales.hy (
    hybh integer, dq text, PRIMARY KEY (hybh, dq),
    dj text NOT NULL DEFAULT '普通', UNIQUE (dj, dq)
);
COMMENT ON TABLE sales.hy IS '会员';
COMMENT ON COLUMN sales.hy.dj IS '会员等级';
CREATE TABLE sales.dd (
    ddh bigint PRIMARY KEY, hybh integer, dq text, je numeric(12,2), bz text,
    FOREIGN KEY (hybh, dq) REFERENCES sales.hy (hybh, dq)
);
CREATE VIEW sales.dd_v AS SELECT ddh, je FROM sales.dd;
CREATE MATERIALIZED VIEW sales.dd_mv AS SELECT count(*) AS n FROM sales.dd;
CREATE TABLE public.other (id int PRIMARY KEY);
ALTER TABLE sales.dd DROP COLUMN bz;
ALTER TABLE sales.dd ADD COLUMN je2 numeric;
"""


@pytest.fixture(scope="module")
async def snapshot(databases: Databases) -> SchemaSnapshot:
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(DDL)
        await ensure_schema(conn)
        return await introspect(conn, ["sales", "txt2sql"])
    finally:
        await conn.close()


def test_only_configured_schemas_and_never_the_service_schema(snapshot: SchemaSnapshot) -> None:
    assert [t.qualified_name for t in snapshot.tables] == [
        "sales.dd",
        "sales.dd_mv",
        "sales.dd_v",
        "sales.hy",
    ]


def test_kinds_comments_defaults_and_nullability(snapshot: SchemaSnapshot) -> None:
    hy = snapshot.table("sales.hy")
    assert hy is not None
    assert hy.kind == "table"
    assert hy.comment == "会员"
    dj = next(c for c in hy.columns if c.name == "dj")
    assert dj.comment == "会员等级"
    assert dj.nullable is False
    assert dj.default == "'普通'::text"
    assert snapshot.table("sales.dd_v").kind == "view"  # type: ignore[union-attr]
    assert snapshot.table("sales.dd_mv").kind == "materialized_view"  # type: ignore[union-attr]


def test_composite_keys_and_dropped_columns(snapshot: SchemaSnapshot) -> None:
    hy = snapshot.table("sales.hy")
    dd = snapshot.table("sales.dd")
    assert hy is not None and dd is not None
    assert hy.primary_key == ["hybh", "dq"]
    assert hy.unique == [["dj", "dq"]]
    (fk,) = dd.foreign_keys
    assert (fk.columns, fk.ref_table, fk.ref_columns) == (
        ["hybh", "dq"],
        "sales.hy",
        ["hybh", "dq"],
    )
    assert [c.name for c in dd.columns] == ["ddh", "hybh", "dq", "je", "je2"]
    assert next(c.type for c in dd.columns if c.name == "ddh") == "bigint"
