"""Structured logs, /metrics, and secrets kept out of both and out of every response."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers.app import KEY, TEST_API_KEY, ClientFactory, keyed, settings_for
from tests.helpers.demo import ANSWER, DEMO_QUESTION
from tests.helpers.metrics_text import metric
from tests.helpers.sse import collect
from tests.helpers.standin.dashscope_server import DashScopeStandIn, Script
from txt2sql_api.config import Settings
from txt2sql_api.observability.logs import (
    MASK,
    JsonFormatter,
    Redactor,
    configure_logging,
    settings_secrets,
)

AS_KEY = {"X-API-Key": KEY}


class LogCapture:
    """The root logger's records, formatted as the service formats them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, logger: str | None = None) -> list[dict[str, Any]]:
        entries = [json.loads(line) for line in self.text.splitlines()]
        return [e for e in entries if logger is None or e["logger"] == logger]


@pytest.fixture
def json_logs() -> Iterator[Any]:
    """`logs = json_logs(settings)` formats every record as the service does, at INFO unless
    told otherwise (at DEBUG, libraries log what they send: prompts included)."""
    root = logging.getLogger()
    handlers: list[logging.Handler] = []
    level = root.level

    def start(settings: Settings, level: int = logging.INFO) -> LogCapture:
        capture = LogCapture()
        handler = logging.StreamHandler(capture.stream)
        handler.setFormatter(JsonFormatter(Redactor(settings_secrets(settings))))
        root.addHandler(handler)
        root.setLevel(level)
        handlers.append(handler)
        return capture

    yield start
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


async def test_one_json_summary_line_per_answer_with_the_request_id(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, json_logs: Any
) -> None:
    settings = settings_for(demo_db)
    logs = json_logs(settings)
    standin.push(Script(content=ANSWER, usage={"input_tokens": 321, "output_tokens": 45}))
    async with make_client(settings) as client:
        await collect(client, json={"question": DEMO_QUESTION}, headers={"X-Request-ID": "rq-1"})
    (summary,) = logs.lines("txt2sql_api.answers")
    assert summary["request_id"] == "rq-1"
    assert summary["outcome"] == "ok"
    assert summary["question_chars"] == len(DEMO_QUESTION)
    assert (summary["input_tokens"], summary["output_tokens"]) == (321, 45)
    assert summary["model"] == settings.model
    assert 0 < summary["first_event_ms"] <= summary["total_ms"]
    assert summary["attempts"] == 1
    assert "question" not in summary
    assert DEMO_QUESTION not in logs.text
    (access,) = [e for e in logs.lines("txt2sql_api.access") if e["path"] == "/v1/ask"]
    assert access["request_id"] == "rq-1"
    assert (access["method"], access["status"]) == ("POST", 200)
    # Every line written while the request ran carries its id.
    request_lines = [e for e in logs.lines() if e["request_id"] != "-"]
    assert {e["logger"] for e in request_lines} >= {
        "txt2sql_api.access",
        "txt2sql_api.answers",
    }
    assert all(e["request_id"] == "rq-1" for e in request_lines)


async def test_the_question_is_logged_only_when_asked_for(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, json_logs: Any
) -> None:
    settings = settings_for(demo_db, log_questions=True)
    logs = json_logs(settings)
    standin.push(Script(content=ANSWER))
    async with make_client(settings) as client:
        await collect(client, "GET", params={"question": DEMO_QUESTION})
    (summary,) = logs.lines("txt2sql_api.answers")
    assert summary["question"] == DEMO_QUESTION
    (access,) = [e for e in logs.lines("txt2sql_api.access") if e["route"] == "/v1/ask"]
    assert "question" not in access["path"]  # never the query string


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        (Script(content="抱歉，我无法回答。"), "no_sql"),
        (Script(content="```sql\nDROP TABLE dtzpt\n```"), "invalid_sql"),
        (Script(status=401, error_code="InvalidApiKey"), "upstream_unauthorized"),
    ],
)
async def test_the_outcome_is_the_last_word_of_the_stream(
    demo_db: str,
    standin: DashScopeStandIn,
    make_client: ClientFactory,
    json_logs: Any,
    script: Script,
    outcome: str,
) -> None:
    settings = settings_for(demo_db)
    logs = json_logs(settings)
    standin.push(script)
    async with make_client(settings) as client:
        await collect(client, json={"question": DEMO_QUESTION})
    (summary,) = logs.lines("txt2sql_api.answers")
    assert summary["outcome"] == outcome


async def test_metrics_count_answers_tokens_rejections_errors_and_the_pool(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    standin.push(
        Script(content=ANSWER, usage={"input_tokens": 100, "output_tokens": 10}),
        Script(content="```sql\nSELECT pg_sleep(1) FROM nowhere\n```"),
        Script(status=429, error_code="Throttling.RateQuota"),
        Script(status=429, error_code="Throttling.RateQuota"),
    )
    settings = settings_for(demo_db, upstream_retries=1, repair_rounds=0)
    async with make_client(settings) as client:
        for execute in (True, False, False):
            await collect(client, json={"question": DEMO_QUESTION, "execute": execute})
        await client.get("/v1/schema")
        text = (await client.get("/metrics")).text
    assert metric(text, "txt2sql_answers_total", outcome="ok") == 1
    assert metric(text, "txt2sql_answers_total", outcome="invalid_sql") == 1
    assert metric(text, "txt2sql_answers_total", outcome="upstream_throttled") == 1
    assert metric(text, "txt2sql_upstream_errors_total", code="upstream_throttled") == 1
    assert metric(text, "txt2sql_tokens_total", model=settings.model, direction="input") >= 100
    assert metric(text, "txt2sql_tokens_total", model=settings.model, direction="output") >= 10
    assert metric(text, "txt2sql_sql_rejected_total", reason="forbidden_function") == 1
    assert metric(text, "txt2sql_sql_rejected_total", reason="unknown_table") == 1
    assert metric(text, "txt2sql_first_event_seconds_count") == 3
    assert metric(text, "txt2sql_answer_seconds_count") == 3
    assert metric(text, "txt2sql_live_streams") == 0
    assert metric(text, "txt2sql_http_requests_total", route="/v1/ask", status="200") == 3
    assert metric(text, "txt2sql_http_requests_total", route="/v1/schema", status="200") == 1
    assert metric(text, "txt2sql_db_pool_max_connections") == settings.db_pool_max
    in_use = metric(text, "txt2sql_db_pool_connections", state="in_use")
    idle = metric(text, "txt2sql_db_pool_connections", state="idle")
    assert in_use == 0 and idle >= 1
    # The three calls ended: their threads wait for the next one; the scrape is a task itself.
    assert metric(text, "txt2sql_upstream_threads", state="busy") == 0
    assert metric(text, "txt2sql_upstream_threads", state="idle") >= 1
    assert metric(text, "txt2sql_event_loop_tasks") >= 1


async def test_unknown_paths_share_one_metrics_label(
    demo_db: str, make_client: ClientFactory
) -> None:
    async with make_client(settings_for(demo_db)) as client:
        for n in range(3):
            assert (await client.get(f"/scan/{n}")).status_code == 404
        text = (await client.get("/metrics")).text
    assert metric(text, "txt2sql_http_requests_total", route="unmatched", status="404") == 3
    assert "/scan/" not in text


def test_the_redactor_masks_url_passwords_and_known_secrets() -> None:
    redact = Redactor(["k-secret-1", "sk-dash"])
    line = "to postgresql://svc:pa55@db:5432/x and redis://:r3d@cache/0 with k-secret-1, sk-dash"
    masked = redact(line)
    assert "pa55" not in masked and "r3d" not in masked
    assert "k-secret-1" not in masked and "sk-dash" not in masked
    assert f"postgresql://svc:{MASK}@db:5432/x" in masked
    assert redact("no secrets at http://host:8000/path") == "no secrets at http://host:8000/path"


async def test_secrets_never_reach_logs_errors_metrics_or_the_schema(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, json_logs: Any
) -> None:
    password = "Pw-0f-the-db-9c1e"
    # Trust authentication ignores the password; it is there to be leaked, or not.
    with_password = demo_db.replace("postgres@", f"postgres:{password}@")
    down = f"postgresql://postgres:{password}@127.0.0.1:1/nowhere"
    secrets = [password, KEY, TEST_API_KEY]
    responses: list[httpx.Response] = []
    standin.default = Script(content=ANSWER)
    for url in (with_password, down):
        settings = keyed(url, db_acquire_timeout_seconds=1)
        logs = json_logs(settings, logging.DEBUG)
        async with make_client(settings) as client:
            for path in ("/v1/schema", "/readyz", "/metrics", "/openapi.json", "/v1/examples"):
                responses.append(await client.get(path, headers=AS_KEY))
            responses.append(await client.get("/v1/schema", headers={"X-API-Key": KEY + "-no"}))
            responses.append(await client.post("/v1/ask", json={"question": 1}, headers=AS_KEY))
            ask = await collect(client, json={"question": DEMO_QUESTION}, headers=AS_KEY)
        seen = logs.text + "".join(r.text for r in responses) + json.dumps(ask)
        assert logs.lines("txt2sql_api.answers")
        for secret in secrets:
            assert secret not in seen
    assert responses[0].status_code == 200  # the schema was served, without them


async def test_result_rows_never_reach_the_log_even_at_debug(
    demo_db: str, standin: DashScopeStandIn, make_client: ClientFactory, json_logs: Any
) -> None:
    marker = "row-value-7c1f9e"
    standin.push(Script(content=f"查询。\n```sql\nSELECT '{marker}' || zdmc AS v FROM dtzpt\n```"))
    settings = settings_for(demo_db)
    logs = json_logs(settings, logging.DEBUG)
    async with make_client(settings) as client:
        events = await collect(client, json={"question": DEMO_QUESTION, "execute": True})
    rows = [data for name, data in events if name == "rows"]
    assert rows and marker in json.dumps(rows[0], ensure_ascii=False)
    debug_lines = [line for line in logs.lines() if line["level"] == "DEBUG"]
    assert debug_lines  # DEBUG is on: other libraries do log
    assert marker not in logs.text


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """`configure_logging` replaces the root handlers: put the test run's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("pgserver", "httpx2")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, quiet_level in quiet.items():
        logging.getLogger(name).setLevel(quiet_level)


def logged(settings: Settings, capsys: pytest.CaptureFixture[str]) -> str:
    configure_logging(settings)
    logging.getLogger("txt2sql_api.test").warning(
        "caller %s", "sk-logged-secret", extra={"fields": {"rows": 3, "note": "two words"}}
    )
    logging.getLogger("pgserver").info("Successful postgres command initdb\nstdout:\nmany lines")
    logging.getLogger("httpx2").info('HTTP Request: POST http://model/v1 "HTTP/1.1 200 OK"')
    return capsys.readouterr().err


@pytest.mark.usefixtures("logging_restored")
def test_text_lines_for_people_with_fields_and_secrets_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings_for(None, log_format="text", dashscope_api_key="sk-logged-secret")
    (line,) = logged(settings, capsys).splitlines()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d WARNING txt2sql_api\.test: caller \*\*\*  "
        r'rows=3 note="two words"',
        line,
    ), line


@pytest.mark.usefixtures("logging_restored")
def test_auto_is_json_when_stderr_is_no_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    (line,) = logged(settings_for(None, log_format="auto"), capsys).splitlines()
    assert json.loads(line)["rows"] == 3


@pytest.mark.usefixtures("logging_restored")
def test_pgserver_s_command_output_shows_at_debug_only(capsys: pytest.CaptureFixture[str]) -> None:
    text = logged(settings_for(None, log_format="text", log_level="DEBUG"), capsys)
    assert "Successful postgres command initdb\nstdout:\nmany lines" in text
    assert "HTTP Request: POST http://model/v1" in text


@pytest.mark.usefixtures("logging_restored")
def test_the_openai_key_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    settings = settings_for(None, log_format="text", openai_api_key="sk-logged-secret")
    assert "sk-logged-secret" not in logged(settings, capsys)
