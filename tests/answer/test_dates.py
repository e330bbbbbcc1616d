"""The question's relative and partial dates, resolved to half-open ranges before the prompt."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import ANSWER
from tests.helpers.sse import collect
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.answer.dates import render_dates, resolve_dates

WED = date(2026, 12, 2)  # a Wednesday
NEW_YEAR = date(2026, 1, 1)  # a Thursday, the first day of a year and of a quarter
QUARTER_END = date(2026, 3, 31)
LEAP = date(2024, 2, 29)
APRIL = date(2026, 4, 1)

CASES: list[tuple[date, str, str, str]] = [
    (WED, "今天", "2026-12-02", "2026-12-03"),
    (WED, "昨天", "2026-12-01", "2026-12-02"),
    (WED, "前天", "2026-11-30", "2026-12-01"),
    (WED, "本周", "2026-11-30", "2026-12-07"),
    (WED, "上周", "2026-11-23", "2026-11-30"),
    (WED, "上个星期", "2026-11-23", "2026-11-30"),
    (WED, "本月", "2026-12-01", "2027-01-01"),
    (WED, "上个月", "2026-11-01", "2026-12-01"),
    (WED, "本季度", "2026-10-01", "2027-01-01"),
    (WED, "上季度", "2026-07-01", "2026-10-01"),
    (WED, "今年", "2026-01-01", "2027-01-01"),
    (WED, "去年", "2025-01-01", "2026-01-01"),
    (WED, "前年", "2024-01-01", "2025-01-01"),
    (WED, "去年同期", "2025-01-01", "2025-12-03"),
    (WED, "近7天", "2026-11-26", "2026-12-03"),
    (WED, "最近三十天", "2026-11-03", "2026-12-03"),
    (WED, "过去2周", "2026-11-19", "2026-12-03"),
    (WED, "近3个月", "2026-09-03", "2026-12-03"),
    (WED, "最近一年", "2025-12-03", "2026-12-03"),
    (WED, "3月份", "2026-03-01", "2026-04-01"),
    (WED, "十二月", "2026-12-01", "2027-01-01"),
    (WED, "2024年3月", "2024-03-01", "2024-04-01"),
    (WED, "2024年", "2024-01-01", "2025-01-01"),
    (WED, "2024年一季度", "2024-01-01", "2024-04-01"),
    (WED, "2024年第四季度", "2024-10-01", "2025-01-01"),
    (WED, "2024Q2", "2024-04-01", "2024-07-01"),
    (WED, "2024年上半年", "2024-01-01", "2024-07-01"),
    (WED, "上半年", "2026-01-01", "2026-07-01"),
    (WED, "下半年", "2026-07-01", "2027-01-01"),
    (WED, "年初至今", "2026-01-01", "2026-12-03"),
    (WED, "6月10日", "2026-06-10", "2026-06-11"),
    (WED, "2024年6月10号", "2024-06-10", "2024-06-11"),
    (WED, "last month", "2026-11-01", "2026-12-01"),
    (WED, "this year", "2026-01-01", "2027-01-01"),
    (WED, "the past 7 days", "2026-11-26", "2026-12-03"),
    (WED, "last week", "2026-11-23", "2026-11-30"),
    (WED, "year to date", "2026-01-01", "2026-12-03"),
    (NEW_YEAR, "昨天", "2025-12-31", "2026-01-01"),
    (NEW_YEAR, "上个月", "2025-12-01", "2026-01-01"),
    (NEW_YEAR, "上季度", "2025-10-01", "2026-01-01"),
    (NEW_YEAR, "上周", "2025-12-22", "2025-12-29"),
    (NEW_YEAR, "3月", "2025-03-01", "2025-04-01"),
    (QUARTER_END, "本季度", "2026-01-01", "2026-04-01"),
    (QUARTER_END, "近1个月", "2026-03-01", "2026-04-01"),
    (QUARTER_END, "上个月", "2026-02-01", "2026-03-01"),
    (APRIL, "上季度", "2026-01-01", "2026-04-01"),
    (APRIL, "前天", "2026-03-30", "2026-03-31"),
    (LEAP, "今天", "2024-02-29", "2024-03-01"),
    (LEAP, "去年同期", "2023-01-01", "2023-03-01"),
    (LEAP, "近1年", "2023-03-01", "2024-03-01"),
    (LEAP, "本月", "2024-02-01", "2024-03-01"),
    (LEAP, "2月29日", "2024-02-29", "2024-03-01"),
]


@pytest.mark.parametrize(("today", "text", "start", "end"), CASES)
def test_an_expression_resolves_to_its_range(today: date, text: str, start: str, end: str) -> None:
    (found,) = resolve_dates(f"查一下{text}各站的进站量", today)
    assert (found.text, found.start.isoformat(), found.end.isoformat()) == (text, start, end)


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40


def test_same_period_last_year_follows_the_other_period() -> None:
    ranges = resolve_dates("2024年3月和去年同期相比", WED)
    assert [(r.text, r.start, r.end) for r in ranges] == [
        ("2024年3月", date(2024, 3, 1), date(2024, 4, 1)),
        ("去年同期", date(2023, 3, 1), date(2023, 4, 1)),
    ]


@pytest.mark.parametrize("question", ["3号线有几个站", "前3名的站点", "沈塘桥站的信息", "13月"])
def test_no_date_is_made_up(question: str) -> None:
    assert resolve_dates(question, WED) == []


EXPRESSIONS = sorted({text for _, text, _, _ in CASES}) + ["近45天", "过去10个月", "2031年"]


@given(
    today=st.dates(min_value=date(1971, 1, 1), max_value=date(2099, 12, 31)),
    text=st.sampled_from(EXPRESSIONS),
)
def test_every_range_starts_before_it_ends(today: date, text: str) -> None:
    for found in resolve_dates(text, today):
        assert found.start < found.end


def test_the_block_is_data() -> None:
    text = render_dates(resolve_dates("上个月", WED), WED)
    assert (
        text == 'question dates (today is 2026-12-02):\n  "上个月" = 2026-11-01 <= t < 2026-12-01'
    )


async def test_the_prompt_carries_the_resolved_dates(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(Script(content=ANSWER))
    async with make_client(settings_for(demo_db, timezone="Asia/Shanghai")) as client:
        await collect(client, json={"question": "上个月沈塘桥站的进站量"})
    prompt = standin.requests[-1]["body"]["input"]["messages"][-1]["content"]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    block = prompt[prompt.index("<dates>") : prompt.index("</dates>")]
    assert f'"上个月" = {start.isoformat()} <= t < {end.isoformat()}' in block


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        settings_for(None, timezone="Mars/Olympus")
