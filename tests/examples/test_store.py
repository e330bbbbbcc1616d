"""The examples store on a real database: migrating an older layout in place, versions and
tombstones that let instances follow it, idempotent writes, search and paging."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.helpers.pg import Databases
from txt2sql_api.examples.store import ExamplesStore, Pair, QuestionTaken

# The layout the first versions of the service created.
OLD_LAYOUT = """
CREATE SCHEMA txt2sql;
CREATE TABLE txt2sql.examples (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question text NOT NULL CHECK (btrim(question) <> ''),
    sql text NOT NULL CHECK (btrim(sql) <> ''),
    note text,
    source text NOT NULL DEFAULT 'api' CHECK (source IN ('seed', 'api', 'feedback')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX examples_question_key ON txt2sql.examples (question);
INSERT INTO txt2sql.examples (question, sql, note, source) VALUES
    ('旧问题一', 'SELECT 1', '老的备注', 'seed'),
    ('旧问题二', 'SELECT 2', NULL, 'api');
"""


@pytest.fixture
async def pool(databases: Databases) -> AsyncIterator[asyncpg.Pool]:
    url = await databases.create()
    async with asyncpg.create_pool(url, min_size=0, max_size=2) as pool:
        yield pool


async def test_an_older_database_keeps_its_examples_and_gains_the_new_columns(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute(OLD_LAYOUT)
    store = ExamplesStore(pool, 5)
    examples, total = await store.page(limit=10)
    assert total == 2
    assert [(e.question, e.sql, e.note, e.source, e.tags) for e in examples] == [
        ("旧问题一", "SELECT 1", "老的备注", "seed", []),
        ("旧问题二", "SELECT 2", None, "api", []),
    ]
    everything = await store.changes_since(0)
    assert sorted(e.question for e in everything.upserted) == ["旧问题一", "旧问题二"]
    assert everything.version > 0
    # A second instance starting on the migrated database changes nothing.
    assert (await ExamplesStore(pool, 5).page(limit=10))[1] == 2
    new, outcome = await store.add(Pair("新问题", "SELECT 3", tags=["新"]))
    assert outcome == "added" and new.tags == ["新"]


async def test_changes_since_a_version_are_the_edits_and_the_deletions(
    pool: asyncpg.Pool,
) -> None:
    store = ExamplesStore(pool, 5)
    one, _ = await store.add(Pair("问题一", "SELECT 1"))
    two, _ = await store.add(Pair("问题二", "SELECT 2"))
    start = (await store.changes_since(0)).version
    assert (await store.changes_since(start)).upserted == []

    edited = await store.update(one.id, Pair("问题一改", "SELECT 11", note="改过"))
    assert edited is not None and edited.updated_at > one.updated_at
    assert await store.delete(two.id) is not None
    changes = await store.changes_since(start)
    assert [e.question for e in changes.upserted] == ["问题一改"]
    assert changes.deleted == [two.id]
    assert changes.version > start
    assert await store.delete(two.id) is None
    assert await store.update(two.id, Pair("x", "SELECT 1")) is None


async def test_the_same_pair_again_changes_nothing(pool: asyncpg.Pool) -> None:
    store = ExamplesStore(pool, 5)
    first, outcome = await store.add(Pair("问题", "SELECT 1", tags=["a"]))
    version = (await store.changes_since(0)).version
    again, repeat = await store.add(Pair("问题", "SELECT 1", tags=["a"]))
    assert (outcome, repeat) == ("added", "unchanged")
    assert again == first
    assert (await store.changes_since(version)).upserted == []
    replaced, changed = await store.add(Pair("问题", "SELECT 2"), "feedback")
    assert changed == "updated"
    assert (replaced.id, replaced.sql, replaced.source, replaced.tags) == (
        first.id,
        "SELECT 2",
        "feedback",
        [],
    )


async def test_a_question_taken_by_another_example_is_refused(pool: asyncpg.Pool) -> None:
    store = ExamplesStore(pool, 5)
    await store.add(Pair("问题一", "SELECT 1"))
    two, _ = await store.add(Pair("问题二", "SELECT 2"))
    with pytest.raises(QuestionTaken):
        await store.update(two.id, Pair("问题一", "SELECT 2"))


async def test_search_by_text_and_tag_with_the_total(pool: asyncpg.Pool) -> None:
    store = ExamplesStore(pool, 5)
    for i in range(5):
        await store.add(Pair(f"沈塘桥问题{i}", f"SELECT {i}"))
    await store.add(Pair("别的", "SELECT zdmc FROM dtzpt", note="站点名称"))
    await store.add(Pair("带标签", "SELECT 9", tags=["客流"]))
    page, total = await store.page(limit=2, offset=1, text="沈塘桥")
    assert total == 5
    assert [e.question for e in page] == ["沈塘桥问题1", "沈塘桥问题2"]
    assert [e.question for e in (await store.page(limit=9, text="ZDMC"))[0]] == ["别的"]
    assert [e.question for e in (await store.page(limit=9, text="名称"))[0]] == ["别的"]
    assert [e.question for e in (await store.page(limit=9, text="客流"))[0]] == ["带标签"]
    assert await store.page(limit=9, offset=100) == ([], 7)
