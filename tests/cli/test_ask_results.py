"""`txt2sql-api ask` beyond the SQL: a bar chart drawn in the terminal, the rows written to a CSV
file, the short answer in words streamed."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from rich.cells import cell_len

from tests.cli.test_cli import render, run_ask
from tests.helpers.demo import answer
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.answer.charts import choose_chart
from txt2sql_api.answer.events import AnswerEvent, ChartEvent, DoneEvent
from txt2sql_api.cli.csv_rows import CsvRows
from txt2sql_api.cli.render import BAR_WIDTH, PlainRenderer, bar_lines
from txt2sql_api.sql.outcome import ResultColumn

STATIONS_PER_LINE = "SELECT xlbh, count(*) AS zds FROM dtzpt GROUP BY xlbh ORDER BY zds DESC, xlbh"
RANKING = "各线路站点数排名"
COLUMNS = [ResultColumn(name="xlmc", type="text"), ResultColumn(name="zds", type="int8")]


def _bar_chart(rows: list[list[object]]) -> ChartEvent:
    chart = choose_chart(COLUMNS, rows, RANKING)
    assert chart is not None and chart.mark == "bar"
    return chart


def test_bars_are_as_long_as_their_share_of_the_largest_in_the_sqls_order() -> None:
    lines = bar_lines(_bar_chart([["4号线", 30], ["1号线", 15], ["夜线", 0]]))
    assert lines[0] == "zds by xlmc:"
    assert [line.split("│")[1] for line in lines[1:]] == [
        "█" * BAR_WIDTH + " 30",
        "█" * (BAR_WIDTH // 2) + " 15",
        " 0",
    ]
    # Labels padded by their width on a terminal (a CJK character takes two cells).
    assert len({cell_len(line[: line.index("│")]) for line in lines[1:]}) == 1


def test_a_negative_value_gets_a_lighter_bar() -> None:
    lines = bar_lines(_bar_chart([["盈利", 10], ["亏损", -5]]))
    assert lines[2].endswith("│" + "░" * (BAR_WIDTH // 2) + " -5")


def test_only_bar_charts_are_drawn_in_the_terminal() -> None:
    line = ChartEvent(mark="line", x="tjrq", y=["jzl"], spec={"series": []})
    out = io.StringIO()
    PlainRenderer(out, io.StringIO()).show(line)
    assert out.getvalue() == ""
    screen = render(_bar_chart([["4号线", 30], ["1号线", 3]]), DoneEvent(request_id="r"))
    assert "4号线 │" in screen and "█" * BAR_WIDTH in screen


def test_the_answer_streams_in_bold_on_a_terminal() -> None:
    screen = render(AnswerEvent(delta="4号线"), AnswerEvent(delta="最多。"))
    assert "\x1b[1m4号线" in screen and "最多。" in screen


def test_csv_rows_open_the_file_only_when_rows_arrive(tmp_path: Path) -> None:
    rows = CsvRows(tmp_path / "none.csv")
    rows.take(AnswerEvent(delta="x"))
    rows.close()
    assert not rows.written and not (tmp_path / "none.csv").exists()


def test_ask_draws_the_bar_chart_and_writes_the_csv(
    demo_server: str, standin: DashScopeStandIn, tmp_path: Path
) -> None:
    standin.push(Script(content=answer(STATIONS_PER_LINE)))
    out = tmp_path / "rows.csv"
    done = run_ask(RANKING, "--csv", str(out), "--url", demo_server)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    chart_at = lines.index("zds by xlbh:")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel looks for
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert table[0] == ["xlbh", "zds"]
    assert [line.split()[0] for line in lines[chart_at + 1 : chart_at + len(table)]] == [
        row[0] for row in table[1:]
    ]
    assert f"-- {len(table) - 1} rows written to {out}" in lines


def _ask_csv(
    demo_server: str, standin: DashScopeStandIn, tmp_path: Path, sql: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    standin.push(Script(content=answer(sql)))
    out = tmp_path / "rows.csv"
    return run_ask("q", "--csv", str(out), "--url", demo_server), out


def test_a_csv_field_keeps_commas_quotes_nulls_and_booleans(
    demo_server: str, standin: DashScopeStandIn, tmp_path: Path
) -> None:
    sql = "SELECT '沈塘桥, \"北\"' AS a, NULL::text AS b, true AS c, ARRAY[1, 2] AS d"
    done, out = _ask_csv(demo_server, standin, tmp_path, sql)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode("utf-8-sig") == 'a,b,c,d\r\n"沈塘桥, ""北""",,true,"[1, 2]"\r\n'


def test_an_empty_result_is_its_header_alone(
    demo_server: str, standin: DashScopeStandIn, tmp_path: Path
) -> None:
    done, out = _ask_csv(demo_server, standin, tmp_path, "SELECT zdbh FROM dtzpt WHERE false")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode("utf-8-sig") == "zdbh\r\n"
    assert f"-- 0 rows written to {out}" in done.stdout


def test_rejected_sql_writes_no_file(
    demo_server: str, standin: DashScopeStandIn, tmp_path: Path
) -> None:
    done, out = _ask_csv(demo_server, standin, tmp_path, "DELETE FROM dtzpt")
    assert done.returncode == 1
    assert not out.exists()
    assert f"-- no rows: {out} not written" in done.stdout


def test_summarize_streams_the_answer_after_the_rows(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=answer(STATIONS_PER_LINE)), Script(content="4号线站点最多。"))
    done = run_ask(RANKING, "--summarize", "--url", demo_server)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines.index("4号线站点最多。") > lines.index("zds by xlbh:")
    assert len(standin.requests) == 2
