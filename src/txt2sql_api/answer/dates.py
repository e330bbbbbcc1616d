"""Relative and partial dates in a question, resolved before the model sees them: "上个月" on
2026-12-02 is `2026-11-01 <= t < 2026-12-01`. The prompt carries them as data, so the model
writes exact bounds instead of guessing what "last month" was.

Every range is half-open, `[start, end)`, in days of the service's time zone
(`TXT2SQL_TIMEZONE`). Weeks start on Monday. "近 N 天" (the last N days) includes today. A month
or a day named without a year is the latest one not after today ("3月" asked in February is
last year's March). Expressions are matched longest first; each stretch of the question is
resolved once.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from txt2sql_api.schema.render import quote_data

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGITS |= {"七": 7, "八": 8, "九": 9}
_NUMBER = r"(\d+|[零〇一二两三四五六七八九十]+)"


@dataclass(frozen=True)
class DateRange:
    text: str
    start: date
    end: date


def _number(text: str) -> int:
    """Arabic or Chinese numerals up to 99 (十二, 二十, 三十五)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return int("".join(str(_CN_DIGITS[c]) for c in text))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _month(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    return start, _add_months(start, 1)


def _quarter(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    return start, _add_months(start, 3)


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def _half(year: int, second: bool) -> tuple[date, date]:
    start = date(year, 7 if second else 1, 1)
    return start, _add_months(start, 6)


def _week(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=7)


def _recent(today: date, count: int, unit: str) -> tuple[date, date]:
    """The last `count` units up to and including today."""
    end = today + timedelta(days=1)
    if unit in ("天", "日", "day"):
        return end - timedelta(days=count), end
    if unit in ("周", "星期", "week"):
        return end - timedelta(weeks=count), end
    if unit in ("月", "个月", "month"):
        return _add_months(end, -count), end
    return _add_months(end, -12 * count), end


def _latest_month(today: date, month: int) -> int:
    """The year of the latest `month` not after today."""
    return today.year if month <= today.month else today.year - 1


Resolver = Callable[[re.Match[str], date], tuple[date, date]]
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _this_quarter(today: date) -> tuple[date, date]:
    return _quarter(today.year, (today.month - 1) // 3 + 1)


def _last_quarter(today: date) -> tuple[date, date]:
    start, _ = _this_quarter(today)
    return _add_months(start, -3), start


def _same_period_last_year(today: date) -> tuple[date, date]:
    """This year so far, a year back: 去年同期 without another period to compare."""
    return date(today.year - 1, 1, 1), _add_months(today, -12) + timedelta(days=1)


def _day_of_month(match: re.Match[str], today: date) -> tuple[date, date]:
    month, day = _number(match["m"]), _number(match["d"])
    year = int(match["y"]) if match["y"] else _latest_month(today, month)
    if not match["y"] and date(year, month, min(day, 28)) > today:
        year -= 1
    start = date(year, month, day)
    return start, start + timedelta(days=1)


# Longest and most specific first: "2024年3月" before "3月", "上个月" before "月".
_PATTERNS: list[tuple[re.Pattern[str], Resolver]] = [
    (
        re.compile(r"(?P<y>\d{4})\s*年\s*(?:第\s*)?(?P<q>[一二三四1-4])\s*季度"),
        lambda m, _: _quarter(int(m["y"]), _QUARTERS[m["q"]]),
    ),
    (
        re.compile(r"(?P<y>\d{4})\s*(?:年\s*)?Q(?P<q>[1-4])", re.IGNORECASE),
        lambda m, _: _quarter(int(m["y"]), int(m["q"])),
    ),
    (
        re.compile(r"(?P<y>\d{4})\s*年\s*(?P<h>上|下)半年"),
        lambda m, _: _half(int(m["y"]), m["h"] == "下"),
    ),
    (
        re.compile(
            rf"(?:(?P<y>\d{{4}})\s*年\s*)?(?P<m>{_NUMBER})\s*月\s*(?P<d>{_NUMBER})\s*[日号]"
        ),
        _day_of_month,
    ),
    (
        re.compile(rf"(?P<y>\d{{4}})\s*年\s*(?P<m>{_NUMBER})\s*月份?"),
        lambda m, _: _month(int(m["y"]), _number(m["m"])),
    ),
    (re.compile(r"(?P<y>\d{4})\s*年(?!\s*\d)"), lambda m, _: _year(int(m["y"]))),
    (re.compile(r"去年同期"), lambda _, t: _same_period_last_year(t)),
    (
        re.compile(r"年初至今|今年以来|year[- ]to[- ]date|\bYTD\b", re.IGNORECASE),
        lambda _, t: (date(t.year, 1, 1), t + timedelta(days=1)),
    ),
    (
        re.compile(rf"(?:近|最近|过去|前)\s*(?P<n>{_NUMBER})\s*(?P<u>天|日|周|星期|个月|月|年)"),
        lambda m, t: _recent(t, _number(m["n"]), m["u"]),
    ),
    (
        re.compile(r"(?:the\s+)?(?:past|last)\s+(?P<n>\d+)\s+(?P<u>day|week|month|year)s?", re.I),
        lambda m, t: _recent(t, int(m["n"]), m["u"].lower()),
    ),
    (re.compile(r"上半年"), lambda _, t: _half(t.year, False)),
    (re.compile(r"下半年"), lambda _, t: _half(t.year, True)),
    (re.compile(r"本季度|这个?季度|this quarter", re.I), lambda _, t: _this_quarter(t)),
    (re.compile(r"上个?季度|last quarter", re.I), lambda _, t: _last_quarter(t)),
    (re.compile(r"本月|这个?月|this month", re.I), lambda _, t: _month(t.year, t.month)),
    (
        re.compile(r"上个?月|last month", re.I),
        lambda _, t: _month(_add_months(t, -1).year, _add_months(t, -1).month),
    ),
    (re.compile(r"本周|这周|本星期|这个星期|this week", re.I), lambda _, t: _week(t)),
    (
        re.compile(r"上个?(?:周|星期)|last week", re.I),
        lambda _, t: _week(t - timedelta(days=7)),
    ),
    (re.compile(r"今年|本年|this year", re.I), lambda _, t: _year(t.year)),
    (re.compile(r"去年|last year", re.I), lambda _, t: _year(t.year - 1)),
    (re.compile(r"前年"), lambda _, t: _year(t.year - 2)),
    (
        re.compile(rf"(?P<m>{_NUMBER})\s*月份?(?!\s*[\d零〇一二两三四五六七八九十]+\s*[日号])"),
        lambda m, t: _month(_latest_month(t, _number(m["m"])), _number(m["m"])),
    ),
    (re.compile(r"今天|今日|today", re.I), lambda _, t: (t, t + timedelta(days=1))),
    (
        re.compile(r"昨天|昨日|yesterday", re.I),
        lambda _, t: (t - timedelta(days=1), t),
    ),
    (re.compile(r"前天"), lambda _, t: (t - timedelta(days=2), t - timedelta(days=1))),
]


def _matches(question: str, today: date) -> Iterator[tuple[int, DateRange]]:
    taken: list[tuple[int, int]] = []
    for pattern, resolve in _PATTERNS:
        for match in pattern.finditer(question):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            try:
                start, end = resolve(match, today)
            except (ValueError, KeyError):
                continue  # 13月, 2月30日: not a date
            taken.append(span)
            yield span[0], DateRange(match.group().strip(), start, end)


def resolve_dates(question: str, today: date) -> list[DateRange]:
    """The question's date expressions, in the order they appear, each as `[start, end)`.
    "去年同期" is the question's other period a year back ("2024年3月和去年同期": March 2023),
    or, alone, this year so far a year back."""
    found = [r for _, r in sorted(_matches(question, today), key=lambda item: item[0])]
    other = next((r for r in found if r.text != "去年同期"), None)
    if other is None:
        return found
    year_back = DateRange("去年同期", _add_months(other.start, -12), _add_months(other.end, -12))
    return [year_back if r.text == "去年同期" else r for r in found]


def render_dates(ranges: list[DateRange], today: date) -> str:
    """The prompt's block: data, like the schema."""
    lines = [f"question dates (today is {today.isoformat()}):"]
    lines += [
        f"  {quote_data(r.text)} = {r.start.isoformat()} <= t < {r.end.isoformat()}" for r in ranges
    ]
    return "\n".join(lines)
