"""The chart rules over typed columns: which mark a result gets, and the ECharts option that
draws it."""

from __future__ import annotations

from typing import Any

import pytest

from txt2sql_api.answer.charts import MAX_CHART_ROWS, ChartRows, choose_chart
from txt2sql_api.sql.outcome import ResultColumn


def cols(*pairs: str) -> list[ResultColumn]:
    """`cols("name:text", "n:int4")`"""
    return [ResultColumn(name=p.split(":")[0], type=p.split(":")[1]) for p in pairs]


def test_one_row_one_number_is_a_kpi_card() -> None:
    chart = choose_chart(cols("total:numeric"), [[199.5]], "一共卖了多少")
    assert chart is not None
    assert (chart.mark, chart.x, chart.y) == ("number", "total", ["total"])
    assert chart.spec["title"]["text"] == "199.5"


def test_one_row_with_a_label_and_a_number_is_still_a_kpi_card() -> None:
    chart = choose_chart(cols("zdmc:varchar", "ckgs:int4"), [["沈塘桥", 4]], "沈塘桥站有几个出口")
    assert chart is not None and chart.mark == "number" and chart.x == "ckgs"


def test_one_row_of_null_is_no_chart() -> None:
    assert choose_chart(cols("total:numeric"), [[None]], "q") is None


def test_no_rows_is_no_chart() -> None:
    assert choose_chart(cols("total:int8"), [], "q") is None


@pytest.mark.parametrize("time_type", ["date", "timestamp", "timestamptz"])
def test_a_time_column_and_a_measure_is_a_line_in_time_order(time_type: str) -> None:
    rows = [["2024-03-01", 30], ["2024-01-01", 10], ["2024-02-01", None]]
    if time_type == "timestamptz":
        rows = [[t + "T00:00:00+08:00", v] for t, v in rows]
    chart = choose_chart(cols(f"day:{time_type}", "sales:float8"), rows, "每月销售额")
    assert chart is not None and (chart.mark, chart.x, chart.y) == ("line", "day", ["sales"])
    (line,) = chart.spec["series"]
    assert [point[1] for point in line["data"]] == [10, None, 30]  # NULL: a gap, in its place
    assert chart.spec["xAxis"]["type"] == "time"


def test_a_line_of_several_measures_has_one_series_each() -> None:
    chart = choose_chart(
        cols("month:date", "revenue:numeric", "cost:numeric"),
        [["2024-01-01", 10.5, -3], ["2024-02-01", 12, -4]],
        "q",
    )
    assert chart is not None and chart.mark == "line" and chart.y == ["revenue", "cost"]
    assert [s["name"] for s in chart.spec["series"]] == ["revenue", "cost"]
    assert chart.spec["series"][1]["data"] == [["2024-01-01", -3], ["2024-02-01", -4]]


def test_a_category_splits_a_time_series_into_lines() -> None:
    chart = choose_chart(
        cols("day:date", "city:text", "n:int8"),
        [["2024-01-01", "杭州", 1], ["2024-01-01", "上海", 2], ["2024-01-02", "杭州", 3]],
        "q",
    )
    assert chart is not None and chart.mark == "line" and chart.series == "city"
    assert {s["name"]: len(s["data"]) for s in chart.spec["series"]} == {"杭州": 2, "上海": 1}


def test_a_truncated_time_series_still_draws_the_rows_sent() -> None:
    rows = [[f"2024-01-{d:02d}", d] for d in range(1, 11)]
    chart = choose_chart(cols("day:date", "n:int4"), rows, "q", truncated=True)
    assert chart is not None and chart.mark == "line"


def test_a_category_and_a_measure_is_a_bar_in_the_sqls_order() -> None:
    rows: list[list[Any]] = [["西湖", 30], ["滨江", -5], [None, 12], ["余杭", None]]
    chart = choose_chart(cols("district:text", "stores:int8"), rows, "门店数排名")
    assert chart is not None and (chart.mark, chart.x, chart.y) == ("bar", "district", ["stores"])
    assert chart.spec["xAxis"]["data"] == ["西湖", "滨江", "NULL", "余杭"]
    assert chart.spec["series"][0]["data"] == [30, -5, 12, None]


def test_a_boolean_is_a_category() -> None:
    chart = choose_chart(cols("active:bool", "n:int4"), [[True, 3], [False, 1]], "q")
    assert chart is not None and chart.mark == "bar"
    assert chart.spec["xAxis"]["data"] == ["true", "false"]


def test_an_integer_id_is_a_category_not_a_measure() -> None:
    chart = choose_chart(cols("store_id:int4", "sales:numeric"), [[1, 9.5], [2, 3.25]], "q")
    assert chart is not None and chart.mark == "bar" and chart.x == "store_id"


def test_numeric_digits_beyond_a_json_number_still_count() -> None:
    big = "12345678901234567890.12"
    chart = choose_chart(cols("k:text", "v:numeric"), [["a", big], ["b", "NaN"]], "q")
    assert chart is not None and chart.spec["series"][0]["data"] == [float(big), None]


def test_more_than_thirty_categories_is_no_bar() -> None:
    rows = [[f"c{i}", i] for i in range(31)]
    assert choose_chart(cols("k:text", "v:int4"), rows, "q") is None
    assert choose_chart(cols("k:text", "v:int4"), rows[:30], "q") is not None


def test_a_truncated_result_is_no_bar() -> None:
    rows = [[f"c{i}", i] for i in range(5)]
    assert choose_chart(cols("k:text", "v:int4"), rows, "q", truncated=True) is None


@pytest.mark.parametrize("word", ["占比", "比例", "分布"])
def test_a_share_of_few_positive_values_is_a_pie(word: str) -> None:
    rows = [["男", 60], ["女", 40.5]]
    chart = choose_chart(cols("gender:text", "n:numeric"), rows, f"会员性别{word}")
    assert chart is not None and chart.mark == "pie"
    assert chart.spec["series"][0]["data"] == [
        {"name": "男", "value": 60},
        {"name": "女", "value": 40.5},
    ]


@pytest.mark.parametrize(
    "rows",
    [
        [["a", 5], ["b", -1]],  # negative
        [["a", 5], ["b", 0]],  # zero
        [["a", 5], ["b", None]],  # NULL
        [[f"c{i}", i + 1] for i in range(9)],  # more than 8 slices
    ],
)
def test_a_share_that_a_pie_cannot_show_is_a_bar(rows: list[list[Any]]) -> None:
    chart = choose_chart(cols("k:text", "v:int4"), rows, "各区门店占比")
    assert chart is not None and chart.mark == "bar"


def test_without_asking_for_a_share_it_is_a_bar() -> None:
    chart = choose_chart(cols("k:text", "v:int4"), [["a", 1], ["b", 2]], "各区门店数")
    assert chart is not None and chart.mark == "bar"


def test_two_measures_are_a_scatter_without_null_points() -> None:
    rows: list[list[Any]] = [[1.5, 2], [3, None], [-2, 4.25]]
    chart = choose_chart(cols("price:float4", "qty:int2"), rows, "价格和销量的关系")
    assert chart is not None and (chart.mark, chart.x, chart.y) == ("scatter", "price", ["qty"])
    assert chart.spec["series"][0]["data"] == [[1.5, 2], [-2, 4.25]]


def test_a_scatter_names_its_points_by_the_category() -> None:
    chart = choose_chart(
        cols("store:text", "price:numeric", "qty:int4"), [["a", 1, 2], ["b", 3, 4]], "q"
    )
    assert chart is not None and chart.mark == "scatter"
    assert chart.spec["series"][0]["data"] == [[1, 2, "a"], [3, 4, "b"]]


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        (cols("name:text", "city:text"), [["a", "b"], ["c", "d"]]),  # no measure
        (cols("a:int4", "b:int4", "c:int4"), [[1, 2, 3], [4, 5, 6]]),  # three measures
        (cols("k:text", "j:text", "v:int4"), [["a", "b", 1], ["c", "d", 2]]),  # two categories
        (cols("d:date", "k:text", "j:text", "v:int4"), [["2024-01-01", "a", "b", 1]] * 2),
        (cols("d:date", "k:text", "a:int4", "b:int4"), [["2024-01-01", "a", 1, 2]] * 2),
        (cols("k:text", "v:int4"), [["a", None], ["b", None]]),  # a measure of NULLs only
    ],
)
def test_anything_else_is_no_chart(columns: list[ResultColumn], rows: list[list[Any]]) -> None:
    assert choose_chart(columns, rows, "q") is None


def test_the_kept_rows_are_bounded_and_the_cut_is_seen() -> None:
    kept = ChartRows()
    kept.add(cols("k:text", "v:int4"), [["a", 1]] * (MAX_CHART_ROWS - 1), False)
    assert not kept.truncated
    kept.add(None, [["b", 2], ["c", 3]], False)
    assert len(kept.rows) == MAX_CHART_ROWS and kept.truncated
    assert kept.columns[0].name == "k"


def test_the_service_saying_truncated_is_kept() -> None:
    kept = ChartRows()
    kept.add(cols("k:text", "v:int4"), [["a", 1]], True)
    assert kept.truncated
