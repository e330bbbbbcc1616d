"""The summary prompt: the result's first rows, bounded, as data."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from txt2sql_api.answer.summary import (
    SUMMARY_BYTES,
    SUMMARY_ROWS,
    result_lines,
    summary_messages,
)
from txt2sql_api.sql.outcome import ResultColumn

COLUMNS = [ResultColumn(name="xlbh", type="text"), ResultColumn(name="zds", type="int8")]


def test_a_short_result_is_sent_whole() -> None:
    lines, cut = result_lines([["L01", 12], ["L02", 9]])
    assert [json.loads(line) for line in lines] == [["L01", 12], ["L02", 9]]
    assert not cut


def test_a_long_result_is_cut_at_the_row_bound() -> None:
    lines, cut = result_lines([[f"L{i}", i] for i in range(SUMMARY_ROWS * 3)])
    assert len(lines) == SUMMARY_ROWS and cut


def test_a_wide_result_is_cut_at_the_byte_bound() -> None:
    lines, cut = result_lines([["站" * 300, i] for i in range(SUMMARY_ROWS)])
    assert sum(len(line.encode()) + 1 for line in lines) <= SUMMARY_BYTES
    assert 1 <= len(lines) < SUMMARY_ROWS and cut


def test_a_single_row_longer_than_the_bound_is_cut_to_it() -> None:
    lines, _ = result_lines([["x" * (SUMMARY_BYTES * 3)]])
    assert len(lines) == 1 and len(lines[0].encode()) <= SUMMARY_BYTES


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=5)))
def test_rows_never_leave_the_result_block(rows: list[list[object]]) -> None:
    (_, user) = summary_messages("问题", "SELECT 1", COLUMNS, rows, truncated=False)
    content = user["content"]
    result = content[: content.index("</result>")]
    assert content.count("</result>") == 1 and result.count("<") == 1  # only "<result>"
    assert "\n\n" not in result


def test_the_prompt_says_when_the_rows_are_only_the_first() -> None:
    (_, whole) = summary_messages("q", "SELECT 1", COLUMNS, [["L01", 1]], truncated=False)
    (_, first) = summary_messages("q", "SELECT 1", COLUMNS, [["L01", 1]], truncated=True)
    assert "Rows (all 1):" in whole["content"]
    assert "Rows (the first 1):" in first["content"]
