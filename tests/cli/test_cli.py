"""`txt2sql-api ask`: plain text into a pipe, colour and tables in a terminal, exit status."""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import termios
from collections.abc import Iterator

import asyncpg
import pytest
from rich.console import Console

from tests.helpers.app import KEY, server_env
from tests.helpers.serve_process import CLI, free_port, serve
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.answer.events import (
    DoneEvent,
    ErrorEvent,
    ResultColumn,
    RowsEvent,
    SqlEvent,
    ThinkingEvent,
    UsageEvent,
)
from txt2sql_api.cli.render import PlainRenderer, TerminalRenderer

QUESTION = "2号线有哪些站点，按顺序列出"
SQL = "SELECT zdxh, zdmc, xzq FROM dtzpt WHERE xlbh = 'L02' ORDER BY zdxh"
REASONING = "按站序号排列2号线的站点。"
ANSWER = f"用 dtzpt。\n```sql\n{SQL}\n```"


def without_escapes(screen: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)


def run_ask(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "ask", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "TXT2SQL_API_KEY"} | (env or {}),
    )


async def demo_rows(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return ["\t".join(str(v) for v in row.values()) for row in await conn.fetch(SQL)]
    finally:
        await conn.close()


def test_plain_output_into_a_pipe(
    demo_server: str, demo_db: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(reasoning=REASONING, content=ANSWER, chunk_size=3))
    done = run_ask(QUESTION, "--execute", "--url", demo_server)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "\x1b[" not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == REASONING + "用 dtzpt。"
    sql_at = lines.index("-- SQL (checked):")
    assert lines[sql_at + 1] == SQL
    header_at = lines.index("zdxh\tzdmc\txzq")
    rows = asyncio.run(demo_rows(demo_db))
    assert lines[header_at + 1 : header_at + 1 + len(rows)] == rows
    assert lines[header_at + 1 + len(rows)] == f"-- {len(rows)} rows"


def test_an_error_event_exits_non_zero(demo_server: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(status=400, error_message="bad request from the stand-in"))
    done = run_ask(QUESTION, "--url", demo_server)
    assert done.returncode == 1
    assert done.stderr.startswith("error: ")
    assert done.stderr.endswith("bad request from the stand-in (upstream_bad_request)\n")


def test_rejected_sql_exits_non_zero(demo_server: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(content="```sql\nDELETE FROM dtzpt\n```"))
    done = run_ask(QUESTION, "--execute", "--url", demo_server)
    assert done.returncode == 1
    assert "-- SQL (rejected):" in done.stdout
    assert "-- not_read_only:" in done.stdout


def test_a_refused_question_exits_non_zero(demo_server: str) -> None:
    done = run_ask("x" * 2001, "--url", demo_server)
    assert done.returncode == 1
    assert "422: the question is longer than 2000 characters" in done.stderr
    assert done.stdout == ""


def test_no_service_exits_non_zero() -> None:
    done = run_ask(QUESTION, "--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert done.stderr.startswith("error: no answer from http://127.0.0.1:")


def test_a_terminal_gets_colour_and_a_table(demo_server: str, standin: DashScopeStandIn) -> None:
    standin.push(Script(reasoning=REASONING, content=ANSWER, chunk_size=3))
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    process = subprocess.Popen(
        [CLI, "ask", QUESTION, "--execute", "--url", demo_server],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(child)
    output = b""
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        output += data
    os.close(main)
    assert process.wait(timeout=30) == 0
    screen = output.decode()
    assert "\x1b[" in screen
    assert "SQL, checked" in screen
    text = without_escapes(screen)
    assert "┃ zdxh ┃ zdmc " in text and "│    1 │ 朝阳" in text
    assert "19 rows" in text


def render(*events: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=100)
    renderer = TerminalRenderer(console)
    with renderer:
        for event in events:
            renderer.show(event)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_terminal_rendering_highlights_sql_and_tabulates_rows() -> None:
    screen = render(
        ThinkingEvent(delta="想一想"),
        ThinkingEvent(delta="，再想一想"),
        SqlEvent(sql=SQL, valid=True, tables=["dtzpt"]),
        UsageEvent(input_tokens=10, output_tokens=5, total_tokens=15, model="qwen", request_id="r"),
        RowsEvent(
            columns=[
                ResultColumn(name="zdxh", type="int4"),
                ResultColumn(name="zdmc", type="text"),
            ],
            rows=[[1, "朝阳"]],
            row_count=1,
        ),
        RowsEvent(rows=[[2, None]], row_count=2, final=True),
        DoneEvent(request_id="x"),
    )
    assert "\x1b[2m想一想" in screen  # dim
    sql_line = next(line for line in screen.splitlines() if "zdxh" in line and "FROM" in line)
    assert sql_line.count("\x1b[") > 4  # keywords, names and the string in their colours
    text = without_escapes(screen)
    assert "┃ zdxh ┃ zdmc ┃" in text
    assert "│    1 │ 朝阳 │" in text and "│    2 │ NULL │" in text and "2 rows" in text
    assert "qwen: 10 tokens in, 5 out" in screen


def test_model_text_cannot_drive_the_terminal() -> None:
    screen = render(
        ThinkingEvent(delta="\x1b[2J[bold red]清屏[/bold red]"),
        ErrorEvent(code="no_sql", message="\x1b]0;title\x07no sql"),
    )
    assert "\x1b[2J" not in screen and "\x1b]0;" not in screen
    assert "[bold red]清屏[/bold red]" in screen


def test_verbose_shows_what_the_model_is_shown() -> None:
    import io
    from datetime import date

    from txt2sql_api.answer.events import (
        ContextDate,
        ContextEvent,
        ContextExample,
        ContextTable,
        ContextTerm,
        ContextValue,
    )
    from txt2sql_api.cli.render import PlainRenderer

    event = ContextEvent(
        tables=[
            ContextTable(table="public.dtzpt", score=12.0, reasons=["value '沈塘桥' in zdmc"]),
            ContextTable(table="public.spda", score=3.0, reasons=["x"], columns_left_out=40),
        ],
        values=[ContextValue(value="沈塘桥", columns=["public.dtzpt.zdmc"])],
        dates=[ContextDate(text="上个月", start=date(2026, 11, 1), end=date(2026, 12, 1))],
        glossary=[ContextTerm(term="换乘站", matched="中转站", meaning="两条线路经过的车站")],
        examples=[ContextExample(id=7, question="沈塘桥站有几个出口", score=0.91)],
        schema_tokens=321,
    )
    quiet, loud = io.StringIO(), io.StringIO()
    PlainRenderer(quiet, io.StringIO()).show(event)
    verbose = PlainRenderer(loud, io.StringIO())
    verbose.verbose = True
    verbose.show(event)
    assert quiet.getvalue() == ""
    assert loud.getvalue().splitlines() == [
        "-- context (attempt 1, 321 schema tokens):",
        "--   table public.dtzpt (12): value '沈塘桥' in zdmc",
        "--   table public.spda (3, 40 columns left out): x",
        "--   value '沈塘桥' in public.dtzpt.zdmc",
        "--   date 上个月 = 2026-11-01 <= t < 2026-12-01",
        "--   glossary 换乘站 (中转站): 两条线路经过的车站",
        "--   example #7 (0.91): 沈塘桥站有几个出口",
    ]


@pytest.fixture(scope="module")
def keyed_server(demo_db: str, standin_server: DashScopeStandIn) -> Iterator[str]:
    with serve(server_env(demo_db, standin_server, api_keys=KEY)) as url:
        yield url


def test_a_service_that_wants_a_key_gets_it_from_the_option_or_the_environment(
    keyed_server: str, standin: DashScopeStandIn
) -> None:
    without = run_ask(QUESTION, "--url", keyed_server)
    assert without.returncode == 1
    assert "401" in without.stderr and "--api-key or TXT2SQL_API_KEY" in without.stderr
    standin.push(Script(content=ANSWER), Script(content=ANSWER))
    with_option = run_ask(QUESTION, "--url", keyed_server, "--api-key", KEY)
    assert with_option.returncode == 0, with_option.stderr
    from_env = run_ask(QUESTION, "--url", keyed_server, env={"TXT2SQL_API_KEY": KEY})
    assert from_env.returncode == 0, from_env.stderr
    assert f"SQL (checked):\n{SQL}" in from_env.stdout


def test_piped_rows_print_booleans_as_sql_and_json_do() -> None:
    out = io.StringIO()
    renderer = PlainRenderer(out, io.StringIO())
    renderer.show(
        RowsEvent(
            columns=[ResultColumn(name="sfhcz", type="bool")],
            rows=[[True], [False]],
            row_count=2,
            final=True,
        )
    )
    assert out.getvalue().splitlines()[2:4] == ["true", "false"]


@pytest.mark.parametrize("command", [[], ["serve"], ["ask"], ["standin"], ["db", "url"]])
def test_help_is_plain_text_and_every_option_says_what_it_does(command: list[str]) -> None:
    done = subprocess.run([CLI, *command, "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "`" not in done.stdout
    options = re.findall(r"^  (--[a-z-]+)( [A-Z_]+)?\s*(.*)$", done.stdout, re.MULTILINE)
    assert all(meaning for _, _, meaning in options), options
