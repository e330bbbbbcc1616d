"""Which chart a result gets, by fixed rules over its columns' PostgreSQL types, its row count,
its column names and the question's words: the model's output is never evaluated as code
(CVE-2024-5565), and the same result always draws the same way.

The rules, first match wins: one row with one measure is a `number`; a time column with
measures is a `line`; a category with one measure is a `pie` when the question asks for a share
and the values fit one, else a `bar`; two measures are a `scatter`; anything else has no chart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from txt2sql_api.answer.events import ChartEvent
from txt2sql_api.sql.outcome import ResultColumn

# The rows a chart is drawn from, at most: a line or scatter of a longer result shows these.
MAX_CHART_ROWS = 1000
MAX_BARS = 30
MAX_SLICES = 8

_MEASURE_TYPES = frozenset({"int2", "int4", "int8", "numeric", "float4", "float8"})
_TIME_TYPES = frozenset({"date", "timestamp", "timestamptz"})
# Integer columns that name or number things rather than measure them: drawn as categories.
_NOT_A_MEASURE = re.compile(
    r"(^|_)(id|no|code|year|month)$|编号|代码|序号|年份|月份|^(nf|yf)$", re.IGNORECASE
)
_SHARE_WORDS = ("占比", "比例", "比重", "分布", "份额", "share", "proportion", "percentage")


@dataclass
class ChartRows:
    """What the pipeline keeps of a streamed result for its chart: the columns, the first
    `MAX_CHART_ROWS` rows, and whether anything was left out."""

    columns: list[ResultColumn] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    truncated: bool = False

    def add(
        self, columns: list[ResultColumn] | None, rows: list[list[Any]], truncated: bool
    ) -> None:
        if columns is not None:
            self.columns = columns
        room = MAX_CHART_ROWS - len(self.rows)
        self.rows += rows[: max(room, 0)]
        self.truncated = self.truncated or truncated or len(rows) > room


def choose_chart(
    columns: Sequence[ResultColumn],
    rows: Sequence[Sequence[Any]],
    question: str,
    *,
    truncated: bool = False,
    attempt: int = 1,
) -> ChartEvent | None:
    """The chart for a result, or None when no rule fits. `truncated`: the result had more
    rows than `rows`; a bar or pie needs all of them, a line or scatter draws those given."""
    if not rows or not columns:
        return None
    times = [i for i, c in enumerate(columns) if c.type in _TIME_TYPES]
    measures = [i for i, c in enumerate(columns) if _is_measure(c)]
    others = [i for i in range(len(columns)) if i not in times and i not in measures]
    measures = [i for i in measures if any(_number(row[i]) is not None for row in rows)]
    if not measures:
        return None
    names = [c.name for c in columns]
    if len(rows) == 1 and len(measures) == 1 and not truncated:
        return _number_chart(names[measures[0]], rows[0][measures[0]], attempt)
    if times:
        if not others:
            return _line(names, rows, times[0], measures, None, attempt)
        if len(others) == 1 and len(measures) == 1:
            return _line(names, rows, times[0], measures, others[0], attempt)
        return None
    if len(measures) == 1 and len(others) == 1 and not truncated:
        category, measure = others[0], measures[0]
        if len(rows) <= MAX_SLICES and _asks_for_share(question):
            values = [_number(row[measure]) for row in rows]
            if all(v is not None and v > 0 for v in values):
                return _pie(names, rows, category, measure, attempt)
        if len(rows) <= MAX_BARS:
            return _bar(names, rows, category, measure, attempt)
        return None
    if len(measures) == 2 and len(others) <= 1:
        return _scatter(names, rows, measures, others[0] if others else None, attempt)
    return None


def _is_measure(column: ResultColumn) -> bool:
    return column.type in _MEASURE_TYPES and not _NOT_A_MEASURE.search(column.name)


def _asks_for_share(question: str) -> bool:
    lowered = question.lower()
    return any(word in lowered for word in _SHARE_WORDS)


def _number(value: Any) -> float | None:
    """A measure's value as a number: a numeric too long for a JSON number comes as its digits;
    NULL, NaN and the infinities are no point on a chart."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _plain(value: Any) -> int | float | None:
    """The value as ECharts takes it: an int stays exact, anything else a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _number(value)


def _label(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _moment(value: Any) -> datetime | None:
    """A date or timestamp's ISO text as a sortable instant (a column's values are all dates,
    all naive or all zoned, so reading the naive ones as UTC keeps their order)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # 'infinity' and other text PostgreSQL may send
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _number_chart(name: str, value: Any, attempt: int) -> ChartEvent:
    spec = {
        "title": {
            "text": _label(value),
            "subtext": name,
            "left": "center",
            "top": "middle",
            "textStyle": {"fontSize": 40},
        }
    }
    return ChartEvent(mark="number", x=name, y=[name], spec=spec, attempt=attempt)


def _line(
    names: list[str],
    rows: Sequence[Sequence[Any]],
    time: int,
    measures: list[int],
    series: int | None,
    attempt: int,
) -> ChartEvent:
    # Ordered by time whatever the SQL's order; a row without a time is no point on the line.
    timed = [(moment, row) for row in rows if (moment := _moment(row[time])) is not None]
    timed.sort(key=lambda pair: pair[0])
    lines: dict[str, list[list[Any]]] = {}
    for _, row in timed:
        for measure in measures:
            key = _label(row[series]) if series is not None else names[measure]
            lines.setdefault(key, []).append([row[time], _plain(row[measure])])
    spec = {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": list(lines)},
        "xAxis": {"type": "time", "name": names[time]},
        "yAxis": {"type": "value", "name": names[measures[0]] if len(measures) == 1 else ""},
        "series": [
            {"type": "line", "name": key, "data": points, "showSymbol": len(points) <= 60}
            for key, points in lines.items()
        ],
    }
    return ChartEvent(
        mark="line",
        x=names[time],
        y=[names[m] for m in measures],
        series=names[series] if series is not None else None,
        spec=spec,
        attempt=attempt,
    )


def _bar(
    names: list[str], rows: Sequence[Sequence[Any]], category: int, measure: int, attempt: int
) -> ChartEvent:
    # The SQL's order: a ranking stays ranked.
    spec = {
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "category",
            "name": names[category],
            "data": [_label(row[category]) for row in rows],
            "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 8 else 0},
        },
        "yAxis": {"type": "value", "name": names[measure]},
        "series": [
            {"type": "bar", "name": names[measure], "data": [_plain(row[measure]) for row in rows]}
        ],
    }
    return ChartEvent(mark="bar", x=names[category], y=[names[measure]], spec=spec, attempt=attempt)


def _pie(
    names: list[str], rows: Sequence[Sequence[Any]], category: int, measure: int, attempt: int
) -> ChartEvent:
    spec = {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"orient": "vertical", "left": "left"},
        "series": [
            {
                "type": "pie",
                "name": names[measure],
                "radius": "60%",
                "data": [
                    {"name": _label(row[category]), "value": _plain(row[measure])} for row in rows
                ],
            }
        ],
    }
    return ChartEvent(mark="pie", x=names[category], y=[names[measure]], spec=spec, attempt=attempt)


def _scatter(
    names: list[str],
    rows: Sequence[Sequence[Any]],
    measures: list[int],
    label: int | None,
    attempt: int,
) -> ChartEvent:
    across, up = measures
    points = [
        [x, y] + ([_label(row[label])] if label is not None else [])
        for row in rows
        if (x := _plain(row[across])) is not None and (y := _plain(row[up])) is not None
    ]
    spec = {
        "tooltip": {"trigger": "item"},
        "xAxis": {"type": "value", "name": names[across], "scale": True},
        "yAxis": {"type": "value", "name": names[up], "scale": True},
        "series": [{"type": "scatter", "data": points}],
    }
    return ChartEvent(mark="scatter", x=names[across], y=[names[up]], spec=spec, attempt=attempt)
