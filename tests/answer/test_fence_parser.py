"""The stream parser: the model's text in any chunking → the same reasoning and SQL blocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txt2sql_api.answer.fence_parser import Parsed, SqlBlock, SqlStreamParser
from txt2sql_api.llm.base import ReasoningDelta as ThinkingDelta
from txt2sql_api.llm.base import coalesced as merged

# Reasoning and SQL text as models write it: CJK, ASCII, newlines, quotes, semicolons.
plain_text = st.text(
    alphabet=st.sampled_from(list("我想查沈塘桥站点表。abc XYZ_0189;'\"\n\t,()*=<>-")),
    max_size=60,
)
# Anything at all, backticks and fence fragments included.
any_text = st.lists(
    st.sampled_from(list("ab 站\n`;sql") + ["```", "```sql\n", "```json\n", "\n```", "```sql "]),
    max_size=40,
).map("".join)


def parse_all(text: str) -> list[Parsed]:
    """A whole answer parsed at once."""
    parser = SqlStreamParser()
    return merged(parser.feed(text) + parser.finish())


def feed_in_pieces(text: str, cuts: list[int]) -> list[Parsed]:
    parser = SqlStreamParser()
    out: list[Parsed] = []
    previous = 0
    for cut in sorted(set(cuts)):
        out += parser.feed(text[previous:cut])
        previous = cut
    out += parser.feed(text[previous:])
    out += parser.finish()
    return out


@given(text=any_text, data=st.data())
def test_any_chunking_gives_the_same_events(text: str, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(text))))
    assert merged(feed_in_pieces(text, cuts)) == parse_all(text)


@given(text=any_text)
def test_one_character_at_a_time_gives_the_same_events(text: str) -> None:
    assert merged(feed_in_pieces(text, list(range(len(text) + 1)))) == parse_all(text)


def is_subsequence(part: str, whole: str) -> bool:
    rest = iter(whole)
    return all(char in rest for char in part)


@given(text=any_text)
def test_events_keep_the_text_in_order_and_invent_nothing(text: str) -> None:
    pieces = [p.text if isinstance(p, ThinkingDelta) else p.sql for p in parse_all(text)]
    assert is_subsequence("".join(pieces), text)


@given(text=any_text.filter(lambda t: "```" not in t))
def test_text_without_fences_is_all_reasoning(text: str) -> None:
    assert parse_all(text) == ([ThinkingDelta(text)] if text else [])


@given(reasoning=plain_text, sql=plain_text.filter(str.strip), tail=plain_text)
def test_reasoning_then_sql_block_then_tail(reasoning: str, sql: str, tail: str) -> None:
    answer = f"{reasoning}```sql\n{sql}\n```{tail}"
    expected: list[Parsed] = [ThinkingDelta(reasoning)] if reasoning else []
    expected.append(SqlBlock(sql.strip(), closed=True))
    if tail:
        expected.append(ThinkingDelta(tail))
    assert parse_all(answer) == expected


@given(reasoning=plain_text)
def test_reasoning_without_backticks_is_passed_on_at_once(reasoning: str) -> None:
    parser = SqlStreamParser()
    emitted = "".join(p.text for p in parser.feed(reasoning) if isinstance(p, ThinkingDelta))
    assert emitted == reasoning


def test_a_possible_fence_start_is_held_back_until_it_is_decided() -> None:
    parser = SqlStreamParser()
    assert parser.feed("查询站点``") == [ThinkingDelta("查询站点")]
    assert parser.feed("`sq") == []
    assert parser.feed("l\nSELECT 1\n``") == []
    assert parser.feed("`\n好") == [SqlBlock("SELECT 1"), ThinkingDelta("\n好")]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(
            "好的\n```sql\nSELECT * FROM dtzpt WHERE zdmc = '沈塘桥'\n",
            [ThinkingDelta("好的\n"), SqlBlock("SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'", False)],
            id="unclosed-block",
        ),
        pytest.param(
            "```SQL\nSELECT 1\n```",
            [SqlBlock("SELECT 1")],
            id="upper-case-language",
        ),
        pytest.param(
            "```postgresql\r\nSELECT 1\r\n```",
            [SqlBlock("SELECT 1")],
            id="postgresql-crlf",
        ),
        pytest.param("```\nSELECT 1\n```", [SqlBlock("SELECT 1")], id="bare-fence"),
        pytest.param("```sql SELECT 1\n```", [SqlBlock("SELECT 1")], id="sql-starts-on-fence-line"),
        pytest.param(
            "答案：```sql SELECT 1``` 完",
            [ThinkingDelta("答案："), SqlBlock("SELECT 1"), ThinkingDelta(" 完")],
            id="one-line-block",
        ),
        pytest.param(
            "```sql\nSELECT 'a;b' AS x; \n```",
            [SqlBlock("SELECT 'a;b' AS x;")],
            id="semicolon-in-literal-kept",
        ),
        pytest.param(
            '先看结构：\n```json\n{"a": 1}\n```\n再写：\n```sql\nSELECT 2\n```',
            [
                ThinkingDelta('先看结构：\n```json\n{"a": 1}\n```\n再写：\n'),
                SqlBlock("SELECT 2"),
            ],
            id="other-code-stays-in-reasoning",
        ),
        pytest.param(
            "用 ```x``` 表示",
            [ThinkingDelta("用 ```x``` 表示")],
            id="inline-code-is-reasoning",
        ),
        pytest.param(
            "```sql\nSELECT 1\n```\n或者\n```sql\nSELECT 2\n```",
            [SqlBlock("SELECT 1"), ThinkingDelta("\n或者\n"), SqlBlock("SELECT 2")],
            id="two-blocks",
        ),
        pytest.param("```sql\n\n```", [], id="empty-block"),
        pytest.param(
            "结尾 ```sql SELECT 3",
            [ThinkingDelta("结尾 "), SqlBlock("SELECT 3", False)],
            id="ends-on-fence-line",
        ),
        pytest.param("只有反引号`", [ThinkingDelta("只有反引号`")], id="trailing-backtick"),
    ],
)
def test_answers_models_write(answer: str, expected: list[Parsed]) -> None:
    assert parse_all(answer) == expected
