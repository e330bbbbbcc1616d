"""Retrieval: masking, BM25 over the masked questions, the same question first, near-duplicates
left out, incremental updates; and the twin set (tests/helpers/retrieval_set.py) on the demo's
values."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.helpers.retrieval_set import TWINS
from txt2sql_api.config import Settings
from txt2sql_api.demo.loader import demo_examples
from txt2sql_api.examples.retriever import (
    DATE,
    NUMBER,
    QUOTED,
    VALUE,
    ExampleIndex,
    ExampleRetriever,
    Masker,
    Shot,
    build_index,
    skeleton,
    terms,
)
from txt2sql_api.examples.store import ExamplesStore
from txt2sql_api.schema.cache import SchemaSource
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.sample_values import SampleLimits


def index_of(*questions: str, masker: Masker | None = None) -> ExampleIndex:
    return build_index(
        (Shot(i, q, f"SELECT {i}") for i, q in enumerate(questions, start=1)), masker or Masker()
    )


def questions(index: ExampleIndex, question: str, k: int = 5) -> list[str]:
    return [s.example.question for s in index.search(question, k)]


@pytest.fixture(scope="module")
async def demo_snapshot(demo_db: str) -> SchemaSnapshot:
    async with asyncpg.create_pool(demo_db, min_size=0, max_size=2) as pool:
        limits = SampleLimits.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
        return await SchemaSource(pool, ["public"], ["*"], [], limits).load()


def test_chinese_terms_are_characters_and_bigrams() -> None:
    assert terms("沈塘桥") == ["沈", "塘", "桥", "沈塘", "塘桥"]


def test_latin_words_are_whole_and_trigrams() -> None:
    assert terms("Station") == ["station", "#sta", "#tat", "#ati", "#tio", "#ion"]


def test_numbers_dates_and_quoted_strings_are_masked() -> None:
    mask = Masker()
    assert mask("2024年6月1日进站量排名前10的站点") == f"{DATE}进站量排名前{NUMBER}的站点"
    assert mask("六月份哪一天") == f"{DATE}哪{NUMBER}天"
    assert mask("6月10日到6月16日") == f"{DATE}到{DATE}"
    assert mask("2号线 since 2024-06-01") == f"{NUMBER}号线 since {DATE}"
    assert mask("名字是“沈塘桥”的站") == f"名字是{QUOTED}的站"
    assert mask("ＡＢＣ１２") == "abc12"  # full width folded; a number inside a word stays


def test_database_values_are_masked(demo_snapshot: SchemaSnapshot) -> None:
    mask = Masker(demo_snapshot)
    assert mask("龙翔桥站6月的日均进站量") == f"{VALUE}站{DATE}的日均进站量"
    assert mask("滨江区有哪些站的扶梯在维修") == f"{VALUE}有哪些站的{VALUE}在维修"


def test_another_entity_reads_as_the_same_question(demo_snapshot: SchemaSnapshot) -> None:
    index = index_of("龙翔桥站6月份的进站量", "沈塘桥站的信息", masker=Masker(demo_snapshot))
    # Without masking the shared station name would win.
    assert questions(index, "沈塘桥站7月份的进站量")[0] == "龙翔桥站6月份的进站量"


def test_the_same_question_comes_first_whatever_the_punctuation() -> None:
    index = index_of("沈塘桥站有哪些设施", "沈塘桥站有哪些出口？", "各站有哪些出口")
    assert questions(index, "沈塘桥站有哪些出口")[0] == "沈塘桥站有哪些出口？"
    assert questions(index, "沈塘桥站，有哪些出口?")[0] == "沈塘桥站有哪些出口？"


def test_a_nearly_equal_question_comes_first() -> None:
    long_twin = "各条线路六月份的日均进站量是多少"
    index = index_of("各条线路的日均进站量和出站量", long_twin, "各条线路的长度")
    hits = index.search("各条线路六月份的日均进站量是多少呢", 3)
    assert hits[0].example.question == long_twin
    assert hits[0].score > hits[1].score


def test_near_duplicates_are_left_out(demo_snapshot: SchemaSnapshot) -> None:
    index = build_index(
        [
            Shot(1, "龙翔桥站6月的进站量", "SELECT jzl FROM k WHERE zd = '龙翔桥' AND m = 6"),
            Shot(2, "沈塘桥站5月的进站量", "SELECT jzl FROM k WHERE zd = '沈塘桥' AND m = 5"),
            Shot(3, "沈塘桥站5月的进站量是多少", "select jzl from k where zd = '沈塘桥' and m = 5"),
            Shot(4, "沈塘桥站5月的出站量", "SELECT czl FROM k WHERE zd = '沈塘桥' AND m = 5"),
        ],
        Masker(demo_snapshot),
    )
    found = [s.example.id for s in index.search("沈塘桥站7月的进站量", 5)]
    # 1 and 2 differ only in their values (same masked question, same SQL skeleton); 3 has
    # 2's very SQL: one of each lesson is enough.
    assert len(found) == len(set(found)) == 2
    assert found[0] in {1, 2, 3}
    assert 4 in found


def test_skeleton_ignores_literals_spacing_and_case() -> None:
    assert skeleton("SELECT a FROM t WHERE b = 'x''y' AND c > 10") == skeleton(
        "select a  from t\nwhere b = 'z' and c > 2.5"
    )


def test_unrelated_question_finds_nothing() -> None:
    assert index_of("沈塘桥地铁站的信息").search("weather tomorrow", 3) == []


def test_upsert_replaces_and_remove_forgets() -> None:
    index = index_of("沈塘桥地铁站的信息", "哪些站有电梯")
    index.upsert(Shot(1, "故障记录", "SELECT 1"))
    assert questions(index, "沈塘桥") == []
    assert questions(index, "故障") == ["故障记录"]
    index.remove(1)
    assert len(index) == 1
    assert index.search("故障", 3) == []
    assert questions(index, "哪些站有电梯") == ["哪些站有电梯"]


def test_searches_between_changes_score_as_a_fresh_index_does() -> None:
    """Term weights are kept between questions: every change must be seen by the next one."""
    index = index_of("沈塘桥地铁站的信息", "哪些站有电梯", "沈塘桥站的电梯")
    index.search("沈塘桥的电梯", 5)  # weights of these terms are now kept
    index.upsert(Shot(4, "沈塘桥站有几部电梯", "SELECT 4"))
    index.remove(2)
    index.search("沈塘桥的电梯", 5)
    index.upsert(Shot(5, "电梯故障", "SELECT 5"))
    fresh = build_index(index.shots(), Masker())
    assert index.search("沈塘桥的电梯", 5) == fresh.search("沈塘桥的电梯", 5)
    assert "电梯故障" in questions(index, "沈塘桥的电梯")


def test_many_removals_compact_the_index_and_keep_the_rest() -> None:
    index = index_of(*(f"站点{i}的信息 {chr(0x4E00 + i)}" for i in range(3000)))
    for i in range(1, 2500):
        index.remove(i)
    assert len(index) == 501
    assert len(index.shots()) == 501
    assert questions(index, f"站点2999的信息 {chr(0x4E00 + 2999)}", 1) == [
        f"站点2999的信息 {chr(0x4E00 + 2999)}"
    ]


def test_k_limits_the_results() -> None:
    index = index_of("站点 一", "站点 二号", "站点 三个")
    assert len(index.search("站点", 2)) == 2
    assert index.search("站点", 0) == []


def test_every_twin_is_in_the_top_3(demo_snapshot: SchemaSnapshot) -> None:
    """hit@1 and hit@3 over the twin set. Every twin must be in the top 3 (what the prompt's
    first examples hold); hit@1 may miss where two stored questions share most words ("每类设施
    一共有多少个" reads much like "4号线一共有多少个站"): at least 90 %."""
    shots = [Shot(i, q, sql) for i, (q, sql) in enumerate(demo_examples(), start=1)]
    index = build_index(shots, Masker(demo_snapshot))
    ranks = {}
    for question, twin in TWINS:
        found = questions(index, question, 5)
        ranks[question] = found.index(twin) + 1 if twin in found else None
    assert len(TWINS) == len(shots) == 31
    assert {twin for _, twin in TWINS} == {q for _, q, _ in shots}
    misses = {q: rank for q, rank in ranks.items() if rank is None or rank > 3}
    assert misses == {}
    hit1 = sum(rank == 1 for rank in ranks.values()) / len(TWINS)
    print(f"twin set: hit@1 {hit1:.1%}, hit@3 100% of {len(TWINS)}")  # noqa: T201
    assert hit1 >= 0.9


async def test_examples_are_masked_again_when_the_schema_brings_other_values(
    demo_db: str, demo_snapshot: SchemaSnapshot
) -> None:
    """Indexed before the schema was known, the stored questions' station names count; once a
    snapshot with values arrives they are re-masked in the background."""
    shown: list[SchemaSnapshot | None] = [None]
    async with asyncpg.create_pool(demo_db, min_size=0, max_size=1) as pool:
        retriever = ExampleRetriever(ExamplesStore(pool, 5), values=lambda: shown[0])
        question, twin = "凤起路站在哪几条线上", "武林广场站属于哪几条线路"
        # The same station's other question wins while names count.
        assert (await retriever.top_k(question, 1))[0].example.question != twin
        shown[0] = demo_snapshot
        await retriever.top_k(question, 3)  # starts the re-masking
        for _ in range(100):
            if (await retriever.top_k(question, 1))[0].example.question == twin:
                break
            await asyncio.sleep(0.05)
        assert len(retriever) == 31
        assert [s.example.question for s in await retriever.top_k(question, 1)] == [twin]
        await retriever.close()
