"""Synonyms: a question's words stand for the words of their group, pinyin abbreviations
included, so schema linking finds columns named or commented in other words."""

from __future__ import annotations

from tests.helpers.pg import Databases
from tests.schema.test_recall import shop_index
from txt2sql_api.schema.pruning import SchemaBudget
from txt2sql_api.schema.synonyms import Synonym, Synonyms

# Forty unrelated tables: the whole schema no longer fits, only evidence counts.
UNRELATED = "".join(f"CREATE TABLE t{i} (id int, note text);" for i in range(40))
TIGHT = SchemaBudget(300, 10)


def test_a_word_stands_for_the_others_of_its_group() -> None:
    synonyms = Synonyms([("金额", "消费", "je"), ("数量", "qty")])
    found = list(synonyms.of("每个客户的消费总额"))
    assert Synonym("消费", "金额") in found and Synonym("消费", "je") in found
    assert all(s.word == "消费" for s in found)


def test_the_longest_word_wins_and_latin_words_are_not_found_inside_others() -> None:
    synonyms = Synonyms([("金额", "总金额", "amount"), ("time", "日期")])
    assert {s.other for s in synonyms.of("总金额")} == {"金额", "amount"}
    assert list(synonyms.of("sometimes")) == []
    assert {s.other for s in synonyms.of("the TIME")} == {"日期"}


async def test_a_synonym_finds_a_column_commented_in_other_words(databases: Databases) -> None:
    # 订单 (`dd`) is commented 订单, its amount 订单总金额: the question says neither.
    index = await shop_index(databases, UNRELATED)
    pruned = index.select("每位顾客的消费总额", TIGHT)
    reasons = {c.table: c.reasons for c in pruned.selection.tables if c.sent}
    assert "public.dd" in reasons and "public.kh" in reasons
    assert any("synonym 消费→金额" in r for r in reasons["public.dd"])
    assert any("synonym 顾客→客户" in r for r in reasons["public.kh"])


async def test_an_uncommented_english_column_is_found_by_a_chinese_word(
    databases: Databases,
) -> None:
    extra = UNRELATED + "CREATE TABLE order_line (id int PRIMARY KEY, quantity int);"
    index = await shop_index(databases, extra)
    pruned = index.select("按数量排序", TIGHT)
    reasons = {c.table: c.reasons for c in pruned.selection.tables if c.sent}
    # And the shop's orders, whose `sl` is the pinyin for 数量.
    assert any("quantity (synonym 数量→quantity)" in r for r in reasons["public.order_line"])
    assert any("sl (synonym 数量→sl)" in r for r in reasons["public.dd"])


async def test_a_pinyin_abbreviation_matches_the_end_of_an_identifier_of_initials(
    databases: Databases,
) -> None:
    extra = UNRELATED + (
        "CREATE TABLE xs (id int PRIMARY KEY, xsje numeric);"
        "CREATE TABLE calendar_month (id int PRIMARY KEY, month int);"
    )
    index = await shop_index(databases, extra)
    wanted = index.wanted("销售额和退货")
    assert "xsje" in wanted and wanted["xsje"].via == "synonym 销售额→je"
    # 退货 → `th`, which ends `month` but after a vowel: an English word, not initials.
    assert "month" not in wanted
    sent = [c.table for c in index.select("销售额", TIGHT).selection.tables if c.sent]
    assert "public.xs" in sent and "public.calendar_month" not in sent


def test_a_question_without_group_words_has_no_synonyms() -> None:
    assert list(Synonyms().of("沈塘桥地铁站的信息")) == []


async def test_a_pinyin_abbreviation_is_as_rare_as_the_tables_that_spell_it(
    databases: Databases,
) -> None:
    # `sl` (数量) is, or ends, an identifier in eight tables (the shop's `dd.sl`, `qcsl`, `bdsl`,
    # ...); `quantity` is in one.
    spelled = "".join(
        f"CREATE TABLE k{p} (id int, {p}sl int);" for p in ("bd", "cd", "fd", "gd", "hd", "jd")
    )
    extra = (
        UNRELATED
        + spelled
        + ("CREATE TABLE cgmx (id int, quantity int); CREATE TABLE kcrb (id int, qcsl int);")
    )
    index = await shop_index(databases, extra)
    score = {index.snapshot.tables[c.index].name: c.score for c in index.rank("件数", [])}
    # Each identifier is found once, as `quantity` is, but the word it spells is common.
    assert score["kcrb"] < score["cgmx"]
