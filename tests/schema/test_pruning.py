"""Pruning the schema to the question: the quality set (recall of needed tables, unneeded tables
kept) on the demo database and on the demo plus a generated noisy catalog, and the rules."""

from __future__ import annotations

import asyncpg
import pytest

from tests.helpers.catalog import noisy_database
from tests.helpers.pg import Databases
from tests.helpers.schema_quality import Case, Score, catalog_cases, database_with, demo_cases
from txt2sql_api.schema.cache import SchemaSource
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.pruning import Hint, SchemaBudget, TableIndex, text_terms
from txt2sql_api.schema.sample_values import SampleLimits

BUDGET = SchemaBudget(tokens=4000, max_tables=10)
NOISE_TABLES = 300


async def _snapshot(url: str) -> SchemaSnapshot:
    pool = await asyncpg.create_pool(url, min_size=0, max_size=1)
    try:
        limits = SampleLimits(200, 10_000, 1, total_seconds=30, acquire_timeout_seconds=5)
        return await SchemaSource(pool, ["public"], ["*"], [], limits).load()
    finally:
        await pool.close()


@pytest.fixture(scope="module")
async def demo_index(demo_db: str) -> TableIndex:
    return TableIndex(await _snapshot(demo_db))


@pytest.fixture(scope="module")
async def noisy_index(databases: Databases) -> TableIndex:
    return TableIndex(await _snapshot(await noisy_database(databases, NOISE_TABLES)))


def _score(index: TableIndex, cases: list[Case]) -> Score:
    score = Score()
    for case in cases:
        score.add(case, index.select(case.question, BUDGET))
    return score


def _report(capsys: pytest.CaptureFixture[str], name: str, score: Score) -> None:
    with capsys.disabled():
        print(  # noqa: T201
            f"\n{name}: recall {score.recall:.1%} of {score.needed} needed tables, "
            f"{score.unneeded_per_question:.2f} unneeded tables per question "
            f"({score.questions} questions)"
        )


def test_demo_questions_get_their_tables(
    demo_index: TableIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score(demo_index, demo_cases())
    _report(capsys, "demo", score)
    assert score.questions == 31
    assert score.recall >= 0.95


def test_questions_find_their_tables_in_a_noisy_catalog(
    noisy_index: TableIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(noisy_index.snapshot.tables) == NOISE_TABLES + 6
    score = _score(noisy_index, demo_cases() + catalog_cases())
    _report(capsys, f"demo + {NOISE_TABLES} noisy tables", score)
    assert score.recall >= 0.95
    assert score.unneeded_per_question < BUDGET.max_tables


def test_the_budget_bounds_the_prompt(noisy_index: TableIndex) -> None:
    wide = noisy_index.select("各门店的月汇总金额", BUDGET)
    narrow = noisy_index.select("各门店的月汇总金额", SchemaBudget(tokens=700, max_tables=10))
    assert narrow.selection.schema_tokens <= 700 < wide.selection.schema_tokens
    assert narrow.tables[0].name == "mdyhz"
    assert len(narrow.tables) < len(wide.tables)
    assert [c.sent for c in narrow.selection.tables].count(False) > 0
    assert narrow.schema_text.count("TABLE ") == len(narrow.tables)


async def test_a_link_table_is_added_to_join_two_chosen_tables(databases: Databases) -> None:
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            CREATE TABLE kh (khbh int PRIMARY KEY, mc text);
            COMMENT ON TABLE kh IS '客户';
            CREATE TABLE sp (spbh int PRIMARY KEY, mc text);
            COMMENT ON TABLE sp IS '商品';
            CREATE TABLE ls (khbh int REFERENCES kh, spbh int REFERENCES sp, je numeric);
            COMMENT ON TABLE ls IS '流水';
            CREATE TABLE qt (id int);
            COMMENT ON TABLE qt IS '其他';
            """
        )
    finally:
        await conn.close()
    index = TableIndex(await _snapshot(url))
    pruned = index.select("每个客户买过哪些商品", BUDGET)
    reasons = {c.table: c.reasons for c in pruned.selection.tables}
    assert set(list(reasons)[:3]) == {"public.kh", "public.sp", "public.ls"}
    assert reasons["public.ls"] == ["joins public.sp"]
    # The whole schema fits the budget, so the table without evidence comes too, last.
    assert list(reasons)[-1] == "public.qt"
    assert reasons["public.qt"] == ["the whole schema fits the budget"]
    # Where the whole does not fit, a table without evidence stays out.
    whole = pruned.selection.schema_tokens
    tight = index.select("每个客户买过哪些商品", SchemaBudget(whole - 5, 10))
    assert {c.table for c in tight.selection.tables} == {"public.kh", "public.sp", "public.ls"}
    fallback = index.select("hello", SchemaBudget(tokens=6000, max_tables=1))
    # Nothing matches: the most joined table first, then what it references, then (the whole
    # schema fits) the rest.
    assert [t.name for t in fallback.tables] == ["ls", "kh", "sp", "qt"]


# Thirty tables that share only a generic word, 编号 in a column comment, and two about
# warehouses: 仓库 names one (in its comment) and is in a column comment of the other.
_WAREHOUSES = (
    "".join(
        f"CREATE TABLE t{i} (bh int, note text); COMMENT ON COLUMN t{i}.bh IS '编号';"
        for i in range(30)
    )
    + """
    CREATE TABLE ck (ckbh int PRIMARY KEY, mc text);
    COMMENT ON TABLE ck IS '仓库';
    COMMENT ON COLUMN ck.ckbh IS '编号';
    CREATE TABLE kc (kcbh int, ckbh int, sl int);
    COMMENT ON TABLE kc IS '库存';
    COMMENT ON COLUMN kc.ckbh IS '仓库';
    CREATE TABLE rk (rkbh int, rq date);
    COMMENT ON TABLE rk IS '入库单';
    """
)


async def _warehouses(databases: Databases) -> TableIndex:
    return TableIndex(await _snapshot(await database_with(databases, _WAREHOUSES)))


async def test_a_word_most_tables_share_is_no_evidence_a_distinctive_one_is(
    databases: Databases,
) -> None:
    index = await _warehouses(databases)
    budget = SchemaBudget(tokens=600, max_tables=1)
    assert not index.fits_whole(budget.tokens)
    pruned = index.select("仓库编号有哪些", budget)
    sent = [c.table for c in pruned.selection.tables if c.sent]
    # 仓库 names ck; in kc it is only a column's comment, weighing half: kc ranks, but the
    # question's 仓库 is ck's evidence, not kc's.
    assert sent == ["public.ck"]
    assert "kc" in _ranked(index, "仓库编号有哪些")
    # 编号, in 31 tables of 33, ranks them but brings none in, though the budget has room.
    assert pruned.selection.schema_tokens + 100 < budget.tokens
    assert {f"t{i}" for i in range(30)} <= _ranked(index, "仓库编号有哪些")


async def test_every_table_with_evidence_fills_the_budget_beyond_the_first(
    databases: Databases,
) -> None:
    index = await _warehouses(databases)
    pruned = index.select("仓库的入库单", SchemaBudget(tokens=600, max_tables=1))
    # One table first (max_tables), then the other word's table while the budget lasts.
    assert sorted(c.table for c in pruned.selection.tables if c.sent) == ["public.ck", "public.rk"]


def _ranked(index: TableIndex, question: str, hints: list[Hint] | None = None) -> set[str]:
    ranked = index.rank(question, [], hints=hints or [])
    return {index.snapshot.tables[c.index].name for c in ranked}


async def test_a_glossary_meaning_ranks_but_only_its_named_tables_are_evidence(
    databases: Databases,
) -> None:
    index = await _warehouses(databases)
    hint = Hint("glossary 库龄", ("ck",), "货物入库到今天的天数")
    pruned = index.select("各仓库的平均库龄", SchemaBudget(tokens=600, max_tables=10), hints=[hint])
    sent = {c.table for c in pruned.selection.tables if c.sent}
    assert "public.ck" in sent
    assert "public.rk" not in sent  # 入库 is only in the meaning
    assert "rk" in _ranked(index, "各仓库的平均库龄", [hint])


_CHAINS = (
    "".join(f"CREATE TABLE t{i} (id int, note text);" for i in range(40))
    + """
CREATE TABLE xl (xlbh int PRIMARY KEY, xlmc text);
COMMENT ON TABLE xl IS '线路';
CREATE TABLE zd (zdbh int PRIMARY KEY, xlbh int REFERENCES xl, zdmc text);
COMMENT ON TABLE zd IS '站点';
CREATE TABLE ss (ssbh int, zdbh int REFERENCES zd, lx text);
COMMENT ON TABLE ss IS '设施';
COMMENT ON COLUMN ss.zdbh IS '车站';
CREATE TABLE pp (ppbh int PRIMARY KEY, ppmc text);
COMMENT ON TABLE pp IS '品牌';
CREATE TABLE sp (spbh int PRIMARY KEY, ppbh int REFERENCES pp, spmc text);
COMMENT ON TABLE sp IS '商品';
CREATE TABLE kcmx (spbh int REFERENCES sp, sl int);
COMMENT ON TABLE kcmx IS '库存';
CREATE TABLE fy (fybh int PRIMARY KEY, rq date);
COMMENT ON TABLE fy IS '费用单';
CREATE TABLE fymx (fybh int REFERENCES fy, je numeric);
COMMENT ON TABLE fymx IS '费用明细';
"""
)


async def test_a_leading_table_brings_its_references_another_only_those_matched(
    databases: Databases,
) -> None:
    index = TableIndex(await _snapshot(await database_with(databases, _CHAINS)))
    budget = SchemaBudget(tokens=500, max_tables=10)
    assert not index.fits_whole(budget.tokens)
    pruned = index.select("车站设施和库存", budget)
    sent = [c.table.removeprefix("public.") for c in pruned.selection.tables if c.sent]
    # ss leads: its stations come. kcmx scores less: its goods stay out, as do the stations'
    # lines (one step only), though the budget has room for them.
    assert sent == ["ss", "zd", "kcmx"]
    assert pruned.selection.schema_tokens + 100 < budget.tokens
    reasons = {c.table: c.reasons for c in pruned.selection.tables}
    assert reasons["public.zd"] == ["referenced by public.ss"]
    named = index.select("车站设施和库存商品的线路", budget)
    assert {"public.sp", "public.xl"} <= {c.table for c in named.selection.tables if c.sent}


async def test_a_dated_question_brings_the_dates_an_undated_table_references(
    databases: Databases,
) -> None:
    index = TableIndex(await _snapshot(await database_with(databases, _CHAINS)))
    budget = SchemaBudget(tokens=500, max_tables=10)

    def sent(dated: bool) -> list[str]:
        pruned = index.select("车站设施和明细", budget, dated=dated)
        return [c.table.removeprefix("public.") for c in pruned.selection.tables if c.sent]

    # The expense lines have no date of their own: a question with dates needs their header's.
    assert "fymx" in sent(dated=False) and "fy" not in sent(dated=False)
    assert sent(dated=True)[-2:] == ["fymx", "fy"]


def test_particles_and_question_words_are_not_terms() -> None:
    terms = set(text_terms("销售额最高的门店有多少家"))
    assert {"门店", "销售", "最高"} <= terms
    # 的门 spans two words; 多少 asks: neither names anything.
    assert not {"的门", "高的", "多少"} & terms


_CITIES = (
    "".join(f"CREATE TABLE t{i} (id int, note text);" for i in range(40))
    + """
CREATE TABLE md (mdbh int PRIMARY KEY, mdmc text, cs text);
COMMENT ON TABLE md IS '门店';
INSERT INTO md VALUES (1, '湖滨店', '杭州'), (2, '徐家汇店', '上海');
CREATE TABLE gys (gysbh int PRIMARY KEY, gysmc text, cs text);
COMMENT ON TABLE gys IS '供应商';
INSERT INTO gys VALUES (1, '狮峰茶业', '杭州');
"""
)


async def test_a_value_several_tables_hold_is_evidence_where_the_question_points(
    databases: Databases,
) -> None:
    index = TableIndex(await _snapshot(await database_with(databases, _CITIES)))
    budget = SchemaBudget(tokens=300, max_tables=10)
    assert not index.fits_whole(budget.tokens)

    def sent(question: str) -> set[str]:
        pruned = index.select(question, budget)
        return {c.table.removeprefix("public.") for c in pruned.selection.tables if c.sent}

    # 杭州 is a city of stores and of suppliers: the question asks about stores.
    assert sent("杭州的门店") == {"md"}
    ranked = index.rank("杭州的门店", index.snapshot.find_values("杭州的门店"))
    assert "gys" in {index.snapshot.tables[c.index].name for c in ranked if not c.evidence}
    assert sent("杭州") == {"md", "gys"}
    assert sent("杭州的门店和供应商") == {"md", "gys"}
