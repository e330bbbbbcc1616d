from __future__ import annotations

from datetime import UTC, datetime

from txt2sql_api.examples_store import Example
from txt2sql_api.retrieval import Bm25Index, terms

NOW = datetime.now(UTC)


def example(id_: int, question: str) -> Example:
    return Example(
        id=id_,
        question=question,
        sql=f"SELECT {id_}",
        source="seed",
        created_at=NOW,
        updated_at=NOW,
    )


def index_of(*questions: str) -> Bm25Index:
    index = Bm25Index()
    for i, question in enumerate(questions, start=1):
        index.upsert(example(i, question))
    return index


def test_chinese_terms_are_characters_and_bigrams() -> None:
    assert terms("沈塘桥") == ["沈", "塘", "桥", "沈塘", "塘桥"]


def test_latin_words_are_whole_and_trigrams() -> None:
    assert terms("Station") == ["station", "#sta", "#tat", "#ati", "#tio", "#ion"]


def test_same_question_in_other_words_is_recalled_first() -> None:
    index = index_of(
        "沈塘桥地铁站的信息", "2号线有多少个站", "2024年3月客流量最高的站点", "哪些站有电梯"
    )
    hits = index.search("沈塘桥站点的详细信息", 3)
    assert hits[0].example.question == "沈塘桥地铁站的信息"


def test_unrelated_question_finds_nothing() -> None:
    assert index_of("沈塘桥地铁站的信息").search("weather tomorrow", 3) == []


def test_upsert_replaces_and_remove_forgets() -> None:
    index = index_of("沈塘桥地铁站的信息", "哪些站有电梯")
    index.upsert(example(1, "故障记录"))
    assert index.search("沈塘桥", 3) == []
    assert index.search("故障", 3)[0].example.id == 1
    index.remove(1)
    assert len(index) == 1
    assert index.search("故障", 3) == []


def test_k_limits_the_results() -> None:
    index = index_of("站点 一", "站点 二", "站点 三")
    assert len(index.search("站点", 2)) == 2
    assert index.search("站点", 0) == []
