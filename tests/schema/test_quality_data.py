"""The generated quality schemas are what the quality set says they are: each loads into
PostgreSQL, every gold SQL runs read-only and answers, every glossary term is an expression
over its own tables, and every question's `needs` can be seen in its text and SQL."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
import sqlglot
from sqlglot import exp

from tests.helpers.pg import Databases
from tests.helpers.quality import (
    SCHEMAS,
    SYNONYM_GROUPS,
    QualitySchema,
    gold_columns,
    gold_tables,
)
from txt2sql_api.demo.loader import demo_examples

BY_NAME = {schema.name: schema for schema in SCHEMAS}
NAMES = sorted(BY_NAME)

COLUMNS_SQL = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
"""

# The words a question could be linked by: names and comments of tables and columns.
TEXTS_SQL = """
SELECT c.relname AS table_name, a.attname AS column_name,
       obj_description(c.oid, 'pg_class') AS table_comment,
       col_description(c.oid, a.attnum) AS column_comment
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""

FOREIGN_KEYS_SQL = """
SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = 'public' AND c.contype = 'f'
"""


@dataclass
class Loaded:
    url: str
    columns: dict[str, list[str]]
    texts: dict[str, str]
    comments: Counter[str]
    foreign_keys: int


async def _load(databases: Databases, schema: QualitySchema) -> Loaded:
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            await conn.execute(schema.ddl)
        columns: dict[str, list[str]] = {}
        for row in await conn.fetch(COLUMNS_SQL):
            columns.setdefault(row["table_name"], []).append(row["column_name"])
        texts: dict[str, str] = {}
        comments: Counter[str] = Counter()
        for row in await conn.fetch(TEXTS_SQL):
            parts = [row["table_name"], row["column_name"]]
            parts += [row["table_comment"] or "", row["column_comment"] or ""]
            texts[row["table_name"]] = texts.get(row["table_name"], "") + " ".join(parts) + " "
            comments["columns"] += 1
            comments["commented columns"] += row["column_comment"] is not None
        foreign_keys = await conn.fetchval(FOREIGN_KEYS_SQL)
    finally:
        await conn.close()
    return Loaded(url, columns, {t: s.lower() for t, s in texts.items()}, comments, foreign_keys)


@pytest.fixture(scope="module")
async def loaded(databases: Databases) -> AsyncIterator[dict[str, Loaded]]:
    yield {schema.name: await _load(databases, schema) for schema in SCHEMAS}


def test_gold_tables_and_columns_of_a_few_sqls() -> None:
    tables = {
        "hy": ["hyid", "xm", "cs"],
        "xs_dd": ["ddid", "hyid", "ddje", "xdsj"],
    }
    sql = (
        "WITH t AS (SELECT hyid, sum(ddje) AS je FROM xs_dd GROUP BY hyid)"
        " SELECT h.xm, t.je FROM public.hy h JOIN t ON t.hyid = h.hyid WHERE cs = '杭州'"
    )
    assert gold_tables(sql) == {"hy", "xs_dd"}
    assert gold_columns(sql, tables) == {
        "hy.xm", "hy.hyid", "hy.cs", "xs_dd.hyid", "xs_dd.ddje",
    }  # fmt: skip
    assert gold_columns("SELECT * FROM hy", tables) == {"hy.hyid", "hy.xm", "hy.cs"}
    correlated = "SELECT xm FROM hy WHERE NOT EXISTS (SELECT 1 FROM xs_dd d WHERE d.hyid = hy.hyid)"
    assert gold_columns(correlated, tables) == {"hy.xm", "hy.hyid", "xs_dd.hyid"}
    series = (
        "SELECT g::date, count(d.ddid) FROM generate_series(current_date - 6, current_date,"
        " interval '1 day') g LEFT JOIN xs_dd d ON d.xdsj::date = g::date GROUP BY 1"
    )
    assert gold_tables(series) == {"xs_dd"}
    assert gold_columns(series, tables) == {"xs_dd.ddid", "xs_dd.xdsj"}
    assert gold_columns("SELECT count(*) FROM hy", tables) == frozenset()
    with pytest.raises(sqlglot.errors.OptimizeError):
        gold_columns("SELECT nosuch FROM hy", tables)


@pytest.mark.parametrize("name", NAMES)
async def test_every_gold_sql_runs_read_only_and_answers(
    loaded: dict[str, Loaded], name: str
) -> None:
    failures = []
    conn = await asyncpg.connect(loaded[name].url)
    try:
        for q in BY_NAME[name].questions:
            if not isinstance(sqlglot.parse_one(q.sql, read="postgres"), exp.Select):
                failures.append(f"{q.question}: not a SELECT")
                continue
            try:
                async with conn.transaction(readonly=True):
                    rows = await conn.fetch(q.sql)
            except asyncpg.PostgresError as error:
                failures.append(f"{q.question}: {error}")
                continue
            # An empty answer or an aggregate over no rows means the data misses the question;
            # a relative date ("去年") moves with the clock past the fixed rows, so it may.
            answered = rows and any(value is not None for value in rows[0].values())
            if not answered and "date" not in q.needs:
                failures.append(f"{q.question}: no answer")
    finally:
        await conn.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", NAMES)
def test_gold_columns_are_real_columns(loaded: dict[str, Loaded], name: str) -> None:
    columns = loaded[name].columns
    failures = []
    for q in BY_NAME[name].questions:
        try:
            found = gold_columns(q.sql, columns)
        except (ValueError, sqlglot.errors.SqlglotError) as error:
            failures.append(f"{q.question}: {error}")
            continue
        if not found:
            failures.append(f"{q.question}: reads no column")
        if {c.partition(".")[0] for c in found} != gold_tables(q.sql):
            failures.append(f"{q.question}: a table read for no column")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", NAMES)
async def test_glossary_terms_are_expressions_over_their_tables(
    loaded: dict[str, Loaded], name: str
) -> None:
    schema, columns = BY_NAME[name], loaded[name].columns
    assert 4 <= len(schema.glossary) <= 6
    conn = await asyncpg.connect(loaded[name].url)
    try:
        for term in schema.glossary:
            assert term.sql is not None, term.term
            assert set(term.tables) <= set(columns), term.term
            # LIMIT 0: PostgreSQL resolves every name and type without computing anything.
            sql = f"SELECT {term.sql} FROM {' CROSS JOIN '.join(term.tables)} LIMIT 0"
            async with conn.transaction(readonly=True):
                await conn.fetch(sql)
            read = {c.partition(".")[0] for c in gold_columns(sql, columns)}
            assert read == set(term.tables), term.term
    finally:
        await conn.close()


@pytest.mark.parametrize("name", NAMES)
def test_the_schema_is_big_wide_and_mostly_commented(loaded: dict[str, Loaded], name: str) -> None:
    db = loaded[name]
    assert len(db.columns) >= 20
    assert max(len(c) for c in db.columns.values()) >= 50
    assert db.foreign_keys >= len(db.columns) // 2
    share = db.comments["commented columns"] / db.comments["columns"]
    assert 0.75 <= share < 1, "most columns commented, a few cryptic ones not"


def test_the_questions_are_many_and_unique() -> None:
    questions = [q.question for schema in SCHEMAS for q in schema.questions]
    questions += [question for question, _ in demo_examples()]
    assert len(questions) >= 100
    assert [q for q, n in Counter(questions).items() if n > 1] == []
    for schema in SCHEMAS:
        assert 40 <= len(schema.questions) <= 50, schema.name
        needs = Counter(need for q in schema.questions for need in q.needs)
        assert needs["synonym"] >= 10, (schema.name, needs)
        assert needs["glossary"] >= 6, (schema.name, needs)
        assert needs["date"] >= 6, (schema.name, needs)


_DATE = re.compile(r"current_date|now\(\)|'\d{4}-\d{2}-\d{2}'", re.IGNORECASE)


def _literals(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="postgres")
    return {lit.this.strip("%") for lit in tree.find_all(exp.Literal) if lit.is_string}


def _synonym_evidence(question: str, texts: list[str]) -> bool:
    """A word of a group is in the question and in none of the tables' names and comments,
    while another word of the group is: the schema says it otherwise."""
    asked = question.lower()
    return any(
        word in asked
        and not any(word in text for text in texts)
        and any(other in text for other in group for text in texts)
        for group in SYNONYM_GROUPS
        for word in group
    )


@pytest.mark.parametrize("name", NAMES)
def test_needs_show_in_the_question_and_its_sql(loaded: dict[str, Loaded], name: str) -> None:
    schema, db = BY_NAME[name], loaded[name]
    terms = {term.term: (term.term, *term.synonyms) for term in schema.glossary}
    asked = dict.fromkeys(terms, 0)
    failures = []
    for q in schema.questions:
        tables = gold_tables(q.sql)
        named = [t for t, words in terms.items() if any(w in q.question for w in words)]
        for term in named:
            asked[term] += 1
        checks = {
            "join": len(tables) >= 2,
            "glossary": bool(named),
            "date": bool(_DATE.search(q.sql)),
            "value": any(lit and lit in q.question for lit in _literals(q.sql)),
            "synonym": _synonym_evidence(q.question, [db.texts[t] for t in tables]),
        }
        for need, seen in checks.items():
            if need in q.needs and not seen:
                failures.append(f"{q.question}: needs {need}, but it does not show")
        for need in ("join", "glossary"):
            if checks[need] and need not in q.needs:
                failures.append(f"{q.question}: {need} not in its needs")
    assert not failures, "\n".join(failures)
    assert all(asked.values()), f"glossary terms no question asks about: {asked}"
