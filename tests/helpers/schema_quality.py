"""The schema-pruning quality set: questions and the tables their SQL needs.

The demo's verified examples (their SQL names their tables) and questions about the generated
noisy catalog (tests/helpers/catalog.py), whose tables are named by entity and kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import asyncpg

from tests.helpers.pg import Databases
from tests.helpers.quality import SCHEMAS, QualitySchema, gold_columns, gold_tables
from txt2sql_api.answer.dates import resolve_dates
from txt2sql_api.demo.loader import demo_examples, demo_glossary
from txt2sql_api.glossary.index import Terms
from txt2sql_api.glossary.store import GlossaryIn, GlossaryTerm
from txt2sql_api.schema.cache import SchemaSource
from txt2sql_api.schema.pruning import Pruned, SchemaBudget, TableIndex
from txt2sql_api.schema.sample_values import SampleLimits
from txt2sql_api.sql.guard import check_sql

# Questions about the generated catalog's tables (main tables and the first six kinds, which
# every catalog of 300 tables or more has).
CATALOG_QUESTIONS: list[tuple[str, set[str]]] = [
    ("各门店的月汇总金额，按门店名称列出", {"mdyhz", "mdxx"}),
    ("充电站每天的日统计数量", {"cdzrtj"}),
    ("停车场台账中状态为停用的记录", {"tcctz"}),
    ("医生的历史记录有多少条", {"ysls"}),
    ("患者明细按城市统计条数", {"hzmx"}),
    ("公交站点的日统计，列出站点编号和数量", {"gjzdrtj"}),
    ("骑手月汇总金额最高的10个骑手", {"qsyhz", "qsxx"}),
    ("优惠券台账里注销的优惠券", {"yhqtz"}),
    ("景区日统计的总数量", {"jqrtj"}),
    ("华东区的供应商有哪些", {"gysxx"}),
    ("航班历史记录中最近的10条", {"hbls"}),
    ("金卡等级的会员信息", {"hyxx"}),
    ("快递网点明细里的金额合计", {"kdwdmx"}),
    ("教师信息和他们的月汇总", {"jsxx", "jsyhz"}),
]


@dataclass(frozen=True)
class Case:
    question: str
    needed: frozenset[str]
    # `table.column` (bare table names) the gold SQL reads; empty when not known.
    columns: frozenset[str] = frozenset()


def demo_cases() -> list[Case]:
    return [
        Case(q, frozenset(t.rpartition(".")[2] for t in check_sql(sql).tables))
        for q, sql in demo_examples()
    ]


def catalog_cases() -> list[Case]:
    return [Case(q, frozenset(tables)) for q, tables in CATALOG_QUESTIONS]


def gold_cases(pairs: list[tuple[str, str]], columns_of: dict[str, list[str]]) -> list[Case]:
    """Cases whose needed tables and columns are read off gold SQL."""
    return [Case(q, gold_tables(sql), gold_columns(sql, columns_of)) for q, sql in pairs]


@dataclass
class Score:
    needed: int = 0
    found: int = 0
    unneeded: int = 0
    questions: int = 0
    needed_columns: int = 0
    found_columns: int = 0
    missed: list[str] = field(default_factory=list)

    def add(self, case: Case, pruned: Pruned) -> None:
        sent = {t.name for t in pruned.tables}
        shown = {f"{t.name}.{c.name}" for t in pruned.tables for c in t.columns}
        self.needed += len(case.needed)
        self.found += len(case.needed & sent)
        self.unneeded += len(sent - case.needed)
        self.questions += 1
        self.needed_columns += len(case.columns)
        self.found_columns += len(case.columns & shown)
        if not case.needed <= sent or not case.columns <= shown:
            lost = sorted((case.needed - sent) | (case.columns - shown))
            self.missed.append(f"{case.question}: {', '.join(lost)}")

    def __iadd__(self, other: Score) -> Score:
        for name in ("needed", "found", "unneeded", "questions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.needed_columns += other.needed_columns
        self.found_columns += other.found_columns
        self.missed += other.missed
        return self

    @property
    def recall(self) -> float:
        return self.found / self.needed

    @property
    def column_recall(self) -> float:
        return self.found_columns / self.needed_columns if self.needed_columns else 1.0

    @property
    def unneeded_per_question(self) -> float:
        return self.unneeded / self.questions


@dataclass
class Linked:
    index: TableIndex
    terms: Terms
    cases: list[Case]


def glossary_terms(entries: list[GlossaryIn]) -> Terms:
    at = datetime.now(UTC)
    return Terms(
        [
            GlossaryTerm(id=i, created_at=at, updated_at=at, **entry.model_dump())
            for i, entry in enumerate(entries, start=1)
        ]
    )


def glossary_of(schema: QualitySchema) -> list[GlossaryIn]:
    return [
        GlossaryIn(
            term=t.term,
            synonyms=list(t.synonyms),
            meaning=t.meaning,
            sql=t.sql,
            tables=list(t.tables),
        )
        for t in schema.glossary
    ]


async def linked_schema(
    url: str, pairs: list[tuple[str, str]], entries: list[GlossaryIn]
) -> Linked:
    pool = await asyncpg.create_pool(url, min_size=0, max_size=1)
    try:
        limits = SampleLimits(200, 10_000, 1, total_seconds=30, acquire_timeout_seconds=5)
        snapshot = await SchemaSource(pool, ["public"], ["*"], [], limits).load()
    finally:
        await pool.close()
    columns = {t.name: [c.name for c in t.columns] for t in snapshot.tables}
    return Linked(TableIndex(snapshot), glossary_terms(entries), gold_cases(pairs, columns))


def score_linked(linked: Linked, budget: SchemaBudget) -> Score:
    result = Score()
    for case in linked.cases:
        hints = [found.hint() for found in linked.terms.find(case.question)]
        dated = bool(resolve_dates(case.question, date(2026, 12, 2)))
        result.add(case, linked.index.select(case.question, budget, hints=hints, dated=dated))
    return result


async def database_with(databases: Databases, ddl: str) -> str:
    """A throwaway database holding `ddl`."""
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(ddl)
    finally:
        await conn.close()
    return url


async def quality_sets(demo_url: str, databases: Databases) -> dict[str, Linked]:
    """The demo (at `demo_url`) and each generated schema of the quality set, linked."""
    sets = {"demo": await linked_schema(demo_url, demo_examples(), demo_glossary())}
    for schema in SCHEMAS:
        url = await database_with(databases, schema.ddl)
        pairs = [(q.question, q.sql) for q in schema.questions]
        sets[schema.name] = await linked_schema(url, pairs, glossary_of(schema))
    return sets
