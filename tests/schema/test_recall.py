"""Schema linking, recall first: the whole schema when it fits the budget; else every table
with evidence while the budget lasts, the tables of similar examples' SQL among them."""

from __future__ import annotations

import asyncpg
import pytest

from tests.helpers.pg import Databases
from txt2sql_api.schema.cache import SchemaSource
from txt2sql_api.schema.pruning import SchemaBudget, TableIndex
from txt2sql_api.schema.sample_values import SampleLimits

SHOP = """
CREATE TABLE kh (khbh int PRIMARY KEY, xm text, cs text, dj text);
COMMENT ON TABLE kh IS '客户';
COMMENT ON COLUMN kh.cs IS '城市';
COMMENT ON COLUMN kh.dj IS '会员等级';
CREATE TABLE sp (spbh int PRIMARY KEY, mc text, dj numeric(10, 2));
COMMENT ON TABLE sp IS '商品';
COMMENT ON COLUMN sp.mc IS '商品名称';
CREATE TABLE dd (ddbh int PRIMARY KEY, khbh int, spbh int, sl int, je numeric(10, 2));
COMMENT ON TABLE dd IS '订单';
COMMENT ON COLUMN dd.je IS '订单总金额';
INSERT INTO kh VALUES (1, '张三', '杭州', '金卡');
INSERT INTO sp VALUES (1, '龙井茶', 98.00);
INSERT INTO dd VALUES (1, 1, 1, 2, 196.00);
"""


async def shop_index(databases: Databases, extra: str = "") -> TableIndex:
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SHOP + extra)
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(url, min_size=0, max_size=2)
    try:
        limits = SampleLimits(
            max_distinct=20,
            rows_scanned=1000,
            statement_timeout_seconds=1,
            total_seconds=5,
            acquire_timeout_seconds=5,
        )
        source = SchemaSource(pool, ["public"], ["*"], [], limits)
        return TableIndex(await source.load())
    finally:
        await pool.close()


@pytest.mark.parametrize("question", ["龙井茶卖了多少", "杭州的金卡客户买了哪些商品"])
async def test_a_small_schema_is_sent_whole(databases: Databases, question: str) -> None:
    index = await shop_index(databases)
    pruned = index.select(question, SchemaBudget(4000, 10))
    assert {t.name for t in pruned.tables} == {"kh", "sp", "dd"}
    assert all(choice.sent for choice in pruned.selection.tables)


async def test_a_similar_examples_tables_join_the_candidates(databases: Databases) -> None:
    # Forty unrelated tables: the whole no longer fits, and 订单 is not in the question.
    extra = "".join(f"CREATE TABLE t{i} (id int, note text);" for i in range(40))
    index = await shop_index(databases, extra)
    budget = SchemaBudget(300, 10)
    without = index.select("龙井茶卖了多少", budget)
    assert "dd" not in {t.name for t in without.tables}
    hinted = index.select("龙井茶卖了多少", budget, example_tables=[("dd", 0.9), ("sp", 0.9)])
    reasons = {c.table: c.reasons for c in hinted.selection.tables if c.sent}
    assert "public.dd" in reasons
    assert "in the SQL of a similar example (0.90)" in reasons["public.dd"]
    assert not any(name.startswith("public.t") for name in reasons)


async def test_no_budget_is_left_unused_while_a_table_with_evidence_waits(
    databases: Databases,
) -> None:
    extra = "".join(f"CREATE TABLE t{i} (id int, note text);" for i in range(40))
    extra += "CREATE TABLE wl (id int, cs text); COMMENT ON TABLE wl IS '物流网点城市';"
    index = await shop_index(databases, extra)
    # One table may come first: sp (龙井茶, 商品). 城市 in wl's comment is evidence too, so wl
    # fills the budget left; in kh it is only in a column comment, under half of what 商品
    # weighs in sp's comment, and kh stays out.
    pruned = index.select("龙井茶商品在哪些城市", SchemaBudget(600, 1))
    sent = [c.table for c in pruned.selection.tables if c.sent]
    assert sent == ["public.sp", "public.wl"]
    assert pruned.selection.schema_tokens < 300


WIDE = (
    "CREATE TABLE spda (spbh int PRIMARY KEY REFERENCES sp, gysbh int, sjrq date, "
    + ", ".join(f"sx{i} text" for i in range(60))
    + ", bzq int); COMMENT ON TABLE spda IS '商品档案'; COMMENT ON COLUMN spda.bzq IS '保质期天数';"
    + "COMMENT ON COLUMN spda.sx7 IS '产地';"
)


async def test_a_wide_table_is_cut_to_its_keys_dates_and_the_columns_asked_for(
    databases: Databases,
) -> None:
    extra = "".join(f"CREATE TABLE t{i} (id int, note text);" for i in range(40)) + WIDE
    index = await shop_index(databases, extra)
    pruned = index.select("龙井茶的保质期和产地", SchemaBudget(600, 10))
    choice = next(c for c in pruned.selection.tables if c.table == "public.spda")
    assert choice.sent
    # Kept: the primary key, the date, and the two columns asked for.
    assert choice.columns_left_out == 64 - 4
    table_text = pruned.schema_text.split("TABLE public.spda")[1].split("\n\n")[0]
    for kept in ("spbh", "sjrq", "bzq", "sx7"):
        assert f"\n  {kept} " in table_text
    assert "sx8" not in table_text
    assert "-- 60 more columns not shown" in table_text


async def test_a_wide_table_is_sent_whole_when_the_whole_schema_fits(
    databases: Databases,
) -> None:
    index = await shop_index(databases, WIDE)
    pruned = index.select("龙井茶的保质期", SchemaBudget(4000, 10))
    choice = next(c for c in pruned.selection.tables if c.table == "public.spda")
    assert choice.sent and choice.columns_left_out == 0
    assert "sx59" in pruned.schema_text
