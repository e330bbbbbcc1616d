"""`txt2sql-api chat` keeps one conversation: each question follows up the ones before (the
model's prompt says so); `ask --conversation ID` follows up one; a question back is shown."""

from __future__ import annotations

import io
import os
import subprocess

from tests.helpers.demo import answer
from tests.helpers.serve_process import CLI
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.answer.events import ClarifyEvent, DoneEvent
from txt2sql_api.cli.render import PlainRenderer

EXITS = "SELECT ckgs FROM dtzpt WHERE zdmc = '沈塘桥'"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "TXT2SQL_API_KEY"},
    )


def last_prompt(standin: DashScopeStandIn) -> str:
    return "\n".join(m["content"] for m in standin.requests[-1]["body"]["input"]["messages"])


def test_chat_follows_up_each_question_and_leaves_at_the_end_of_input(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=answer(EXITS)))
    standin.push(Script(content=answer(EXITS)))
    done = run("chat", "--url", demo_server, stdin="沈塘桥站有几个出口\n\n那龙翔桥呢？\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("-- SQL (checked):") == 2
    conversation = last_prompt(standin).split("<conversation>\n")[1]
    assert 'Earlier question: "沈塘桥站有几个出口"' in conversation


def test_ask_follows_up_a_conversation_by_its_id(
    demo_server: str, standin: DashScopeStandIn
) -> None:
    standin.push(Script(content=answer(EXITS)))
    first = run("ask", "沈塘桥站有几个出口", "--url", demo_server)
    conversation = first.stdout.splitlines()[-1].removeprefix("-- conversation ")
    standin.push(Script(content=answer(EXITS)))
    second = run("ask", "那龙翔桥呢？", "--url", demo_server, "--conversation", conversation)
    unknown = run("ask", "那龙翔桥呢？", "--url", demo_server, "--conversation", "c_nope")
    assert second.returncode == 0, second.stderr
    assert '"沈塘桥站有几个出口"' in last_prompt(standin)
    assert unknown.returncode == 1 and "404" in unknown.stderr


def test_a_question_back_is_shown_and_is_an_answer() -> None:
    out = io.StringIO()
    renderer = PlainRenderer(out, io.StringIO())
    renderer.show(ClarifyEvent(question="您指哪一年？", options=["2024", "2025"]))
    renderer.show(DoneEvent(request_id="r", conversation_id="c_1"))
    assert out.getvalue().splitlines() == [
        "-- asks back: 您指哪一年？ (2024 / 2025)",
        "-- conversation c_1",
    ]
    assert renderer.exit_code == 0
