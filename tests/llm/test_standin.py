"""The DashScope stand-in, checked through the real dashscope SDK (and raw HTTP where the SDK
cannot show the behaviour, such as a client hanging up mid-stream)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import dashscope
import httpx
import pytest
import requests

from tests.helpers.app import TEST_API_KEY
from tests.helpers.serve_process import CLI, serve
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.cli.main import STANDIN_KEY
from txt2sql_api.demo.loader import demo_examples

KEY = TEST_API_KEY
HI = [{"role": "user", "content": "hi"}]
DEFAULT_ANSWER = "好的。\n```sql\nSELECT 1\n```"


def call(messages: list[dict[str, str]] = HI, api_key: str = KEY) -> list[Any]:
    return list(call_lazily(messages, api_key))


def call_lazily(messages: list[dict[str, str]] = HI, api_key: str = KEY) -> Iterator[Any]:
    responses: Iterator[Any] = dashscope.Generation.call(
        model="qwen-plus",
        messages=messages,
        api_key=api_key,
        stream=True,
        incremental_output=True,
        result_format="message",
    )
    return responses


def contents(responses: list[Any]) -> list[str]:
    return [r.output.choices[0].message.content for r in responses]


def raw_stream(
    client: httpx.Client, standin: DashScopeStandIn
) -> AbstractContextManager[httpx.Response]:
    """Open a stream without the SDK, so the test decides when the client hangs up."""
    return client.stream(
        "POST",
        standin.base_url + "/services/aigc/text-generation/generation",
        json={"model": "qwen-plus", "input": {"messages": HI}},
        headers={"Authorization": f"Bearer {KEY}", "X-DashScope-SSE": "enable"},
    )


def next_data(lines: Iterator[str]) -> str:
    """The next data line. Callers hold on to `lines`: dropping it makes httpx hang up."""
    return next(line for line in lines if line.startswith("data:"))


def test_content_streams_in_chunks_of_chunk_size(standin: DashScopeStandIn) -> None:
    answer = "SELECT * FROM t WHERE a = 1"
    standin.push(Script(content=answer, chunk_size=5))

    responses = call()

    assert [r.status_code for r in responses] == [200] * 6
    assert contents(responses) == [answer[i : i + 5] for i in range(0, len(answer), 5)]
    assert [r.output.choices[0].finish_reason for r in responses] == ["null"] * 5 + ["stop"]
    assert {r.output.choices[0].message.role for r in responses} == {"assistant"}
    (request_id,) = {r.request_id for r in responses}
    assert request_id


def test_reasoning_streams_first_as_reasoning_content(standin: DashScopeStandIn) -> None:
    standin.push(Script(reasoning="先找站点表。", content="好的", chunk_size=4))

    messages = [r.output.choices[0].message for r in call()]

    assert [(m.reasoning_content, m.content) for m in messages] == [
        ("先找站点", ""),
        ("表。", ""),
        ("", "好的"),
    ]


def test_default_usage_counts_prompt_chars_and_frames(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="0123456789", chunk_size=4))
    prompt = [{"role": "system", "content": "abc"}, {"role": "user", "content": "hello"}]

    usages = [dict(r.usage) for r in call(prompt)]

    assert usages == [
        {"input_tokens": 8, "output_tokens": n, "total_tokens": 8 + n} for n in (1, 2, 3)
    ]


def test_scripted_usage_accumulates_to_the_given_totals(standin: DashScopeStandIn) -> None:
    standin.push(
        Script(content="x" * 9, chunk_size=1, usage={"input_tokens": 321, "output_tokens": 45})
    )

    usages = [r.usage for r in call()]

    assert dict(usages[-1]) == {"input_tokens": 321, "output_tokens": 45, "total_tokens": 366}
    outputs = [u.output_tokens for u in usages]
    assert outputs == sorted(outputs)
    assert 0 < outputs[0] < 45
    assert {u.input_tokens for u in usages} == {321}


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (401, "InvalidApiKey", "bad key"),
        (429, "Throttling.RateQuota", "slow down"),
        (400, "DataInspectionFailed", "moderated"),
        (500, "InternalError", "boom"),
    ],
)
def test_prestream_errors_reach_the_sdk_as_one_failed_response(
    standin: DashScopeStandIn, status: int, code: str, message: str
) -> None:
    standin.push(Script(status=status, error_code=code, error_message=message))

    (response,) = call()

    assert (response.status_code, response.code, response.message) == (status, code, message)
    assert response.output is None
    assert response.request_id
    assert standin.started == 0


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "InvalidParameter"),
        (401, "InvalidApiKey"),
        (429, "Throttling.RateQuota"),
        (503, "InternalError"),
    ],
)
def test_prestream_error_without_a_code_gets_the_usual_one(
    standin: DashScopeStandIn, status: int, code: str
) -> None:
    standin.push(Script(status=status))

    (response,) = call()

    assert (response.status_code, response.code, response.message) == (
        status,
        code,
        "stand-in error",
    )


def test_wrong_api_key_is_401_recorded_and_leaves_the_script_queued(
    standin: DashScopeStandIn,
) -> None:
    standin.push(Script(content="kept"))

    (rejected,) = call(api_key="sk-wrong")
    accepted = call()

    assert (rejected.status_code, rejected.code, rejected.message) == (
        401,
        "InvalidApiKey",
        "Invalid API-key provided.",
    )
    assert contents(accepted) == ["kept"]
    assert [r["headers"]["authorization"] for r in standin.requests] == [
        "Bearer sk-wrong",
        f"Bearer {KEY}",
    ]


@pytest.mark.parametrize(
    ("error_code", "expected"), [("ModelOverloaded", "ModelOverloaded"), (None, "InternalError")]
)
def test_error_after_sends_that_many_frames_then_a_500_error_frame(
    standin: DashScopeStandIn, error_code: str | None, expected: str
) -> None:
    standin.push(
        Script(
            content="abcdefghij",
            chunk_size=2,
            error_after=3,
            error_code=error_code,
            error_message="gone",
        )
    )

    responses = call()

    assert [r.status_code for r in responses] == [200, 200, 200, 500]
    assert contents(responses[:3]) == ["ab", "cd", "ef"]
    assert {r.output.choices[0].finish_reason for r in responses[:3]} == {"null"}
    failed = responses[-1]
    assert (failed.code, failed.message, failed.output) == (expected, "gone", None)
    assert failed.request_id == responses[0].request_id
    assert (standin.completed, standin.aborted) == (1, 0)


def test_requests_are_recorded_with_headers_body_and_path(standin: DashScopeStandIn) -> None:
    call([{"role": "user", "content": "沈塘桥"}])

    (request,) = standin.requests
    assert request["path"] == "/api/v1/services/aigc/text-generation/generation"
    assert request["headers"]["x-dashscope-sse"] == "enable"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    body = request["body"]
    assert body["model"] == "qwen-plus"
    assert body["input"]["messages"] == [{"role": "user", "content": "沈塘桥"}]
    assert body["parameters"]["incremental_output"] is True
    assert body["parameters"]["result_format"] == "message"


def test_scripts_are_served_first_in_first_out_then_the_default(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="first"), Script(content="second"))

    answers = ["".join(contents(call())) for _ in range(3)]
    standin.default = Script(content="new default")
    changed = "".join(contents(call()))
    standin.reset()
    restored = "".join(contents(call()))

    assert answers == ["first", "second", DEFAULT_ANSWER]
    assert changed == "new default"
    assert restored == DEFAULT_ANSWER


def test_non_streaming_call_gets_the_whole_answer(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="the whole answer", chunk_size=4))

    response = dashscope.Generation.call(
        model="qwen-plus", messages=HI, api_key=KEY, result_format="message"
    )

    assert response.status_code == 200
    assert response.output.choices[0].message.content == "the whole answer"
    assert response.output.choices[0].finish_reason == "stop"
    assert dict(response.usage) == {"input_tokens": 2, "output_tokens": 4, "total_tokens": 6}


@pytest.mark.parametrize("body", [b"not json", b'{"model": "qwen-plus", "input": {}}'])
def test_malformed_bodies_are_400_invalid_parameter(standin: DashScopeStandIn, body: bytes) -> None:
    response = httpx.post(
        standin.base_url + "/services/aigc/text-generation/generation",
        content=body,
        headers={"Authorization": f"Bearer {KEY}"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert len(standin.requests) == 1


def test_completed_streams_are_counted(standin: DashScopeStandIn) -> None:
    call()
    call()

    assert (standin.started, standin.completed, standin.aborted, standin.active) == (2, 2, 0, 0)


def test_first_delay_and_gap_pace_the_frames(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="abc", chunk_size=1, first_delay=0.2, gap=0.1))

    begun = time.monotonic()
    stream = dashscope.Generation.call(
        model="qwen-plus", messages=HI, api_key=KEY, stream=True, incremental_output=True
    )
    arrivals = [time.monotonic() - begun for _ in stream]

    assert len(arrivals) == 3
    assert arrivals[0] >= 0.2
    assert arrivals[2] - arrivals[0] >= 0.15  # two gaps of 0.1, less delivery jitter


def test_client_hanging_up_between_frames_counts_as_aborted(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="x" * 100, chunk_size=1, gap=0.05))

    with httpx.Client() as client, raw_stream(client, standin) as response:
        lines = response.iter_lines()
        next_data(lines)
        time.sleep(0.05)
        assert (standin.active, standin.aborted) == (1, 0)

    standin.wait_for(lambda s: s.aborted == 1, timeout=1.0)
    assert (standin.started, standin.completed, standin.active) == (1, 0, 0)


def test_client_hanging_up_during_first_delay_counts_as_aborted(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="late", first_delay=30))

    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.2)) as client:
        with pytest.raises(httpx.ReadTimeout), raw_stream(client, standin) as response:
            response.read()

    standin.wait_for(lambda s: s.aborted == 1, timeout=1.0)
    assert (standin.completed, standin.active) == (0, 0)


def test_hang_sends_the_frames_without_stop_then_stays_open(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="abcd", chunk_size=2, hang=True))

    with httpx.Client() as client, raw_stream(client, standin) as response:
        lines = response.iter_lines()
        data = [next_data(lines), next_data(lines)]
        time.sleep(0.1)
        assert (standin.active, standin.completed, standin.aborted) == (1, 0, 0)

    assert '"content":"cd"' in data[1]
    assert not any('"stop"' in d for d in data)
    standin.wait_for(lambda s: s.aborted == 1, timeout=1.0)
    assert standin.active == 0


def test_http_control_endpoints_script_the_stand_in(standin: DashScopeStandIn) -> None:
    control = standin.base_url.removesuffix("/api/v1") + "/_standin"

    pushed = httpx.post(control + "/script", json=[{"content": "over http", "chunk_size": 4}])
    answer = contents(call())
    default = httpx.put(control + "/default", json={"content": "default over http"})
    default_answer = "".join(contents(call()))
    recorded = httpx.get(control + "/requests").json()
    stats = httpx.get(control + "/stats").json()
    bad = httpx.post(control + "/script", json=[{"contnet": "typo"}])

    assert pushed.json() == {"queued": 1}
    assert answer == ["over", " htt", "p"]
    assert default.status_code == 200
    assert default_answer == "default over http"
    assert [r["body"]["input"]["messages"] for r in recorded] == [HI, HI]
    assert stats == {
        "started": 2,
        "completed": 2,
        "aborted": 0,
        "broken": 0,
        "active": 0,
        "queued": 0,
        "requests": 2,
    }
    assert bad.status_code == 400
    assert "contnet" in bad.json()["error"]


@contextmanager
def standin_command(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`txt2sql-api standin` on a free port; yields the base URL its first log line gives."""
    process = subprocess.Popen(
        [CLI, "standin", "--port", "0", *args], stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        message = json.loads(process.stderr.readline())["message"]
        yield message.split("DASHSCOPE_HTTP_BASE_URL=", 1)[1].split()[0], process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)


def asked(base_url: str, question: str, api_key: str = STANDIN_KEY) -> Any:
    """A call as the service makes it: the question last in the user message."""
    messages = [
        {"role": "system", "content": "rules"},
        {
            "role": "user",
            "content": f'<examples>\nQuestion: "别的"\n</examples>\n\nQuestion: {question}',
        },
    ]
    previous = dashscope.base_http_api_url
    dashscope.base_http_api_url = base_url
    try:
        return "".join(contents(call(messages, api_key=api_key)))
    finally:
        dashscope.base_http_api_url = previous


def test_the_command_answers_the_demo_s_questions_with_their_sql() -> None:
    question, sql = demo_examples()[1]
    with standin_command() as (base_url, process):
        known = asked(base_url, question)
        unknown = asked(base_url, "一个没有脚本的问题")
        stats = httpx.get(base_url.removesuffix("/api/v1") + "/_standin/stats").json()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == -signal.SIGTERM
    assert f"```sql\n{sql}\n```" in known
    assert "```sql" not in unknown and "--answers FILE" in unknown
    assert stats["completed"] == 2


def test_the_command_answers_from_a_file_of_pairs(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        json.dumps(
            {"question": "有几条线", "sql": "SELECT count(*) FROM xlxx"}, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    with standin_command("--answers", str(pairs), "--api-key", KEY) as (base_url, _):
        assert "SELECT count(*) FROM xlxx" in asked(base_url, " 有几条线 ", api_key=KEY)
        assert "```sql" not in asked(base_url, demo_examples()[0][0], api_key=KEY)


@pytest.mark.slow
def test_a_service_on_the_stand_in_answers_without_a_dashscope_key(demo_db: str) -> None:
    question, sql = demo_examples()[0]
    with standin_command() as (base_url, _):
        env = {"DATABASE_URL": demo_db, "DASHSCOPE_API_KEY": STANDIN_KEY}
        with serve(env | {"DASHSCOPE_HTTP_BASE_URL": base_url}) as service:
            done = subprocess.run(
                [CLI, "ask", question, "--execute", "--url", service],
                capture_output=True,
                text=True,
                timeout=60,
            )
    assert done.returncode == 0, done.stderr
    assert f"-- SQL (checked):\n{sql}\n" in done.stdout
    assert "-- 1 row" in done.stdout


def test_an_error_body_is_sent_as_it_is(standin: DashScopeStandIn) -> None:
    standin.push(
        Script(status=400, error_body={"code": "Own", "message": "as is", "request_id": "r-1"})
    )

    (response,) = call()

    assert (response.status_code, response.code, response.message) == (400, "Own", "as is")
    assert response.request_id == "r-1"


def test_break_after_cuts_the_connection_after_that_many_frames(standin: DashScopeStandIn) -> None:
    standin.push(Script(content="abcdefgh", chunk_size=2, break_after=2))
    responses: list[Any] = []

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        responses.extend(call_lazily())

    assert contents(responses) == ["ab", "cd"]
    assert standin.stats()["broken"] == 1
    assert (standin.completed, standin.aborted) == (0, 0)
