"""What the service says as it starts: where model calls go, which database (never a password),
whether API keys are on; and, when the database is away, which way and why, in the log and on
/readyz."""

from __future__ import annotations

import logging

import pytest

from tests.helpers.app import KEY, ClientFactory, settings_for
from tests.helpers.pg import with_database
from tests.helpers.serve_process import free_port


def startup_line(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.getMessage().startswith("model calls:")]
    return record


async def test_one_line_says_where_model_calls_go_which_database_and_whether_keys_are_on(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(
        f"postgresql://reader:hunter2@127.0.0.1:{free_port()}/shop",
        dashscope_http_base_url="http://127.0.0.1:8089/api/v1",
        model="qwen-max",
        api_keys=KEY,
        db_acquire_timeout_seconds=1,
    )
    with caplog.at_level(logging.INFO):
        async with make_client(settings):
            pass
    line = startup_line(caplog).getMessage()
    assert "DashScope at http://127.0.0.1:8089/api/v1, model qwen-max, key set" in line
    assert "database: shop on 127.0.0.1:" in line and "as reader" in line
    assert "API keys: on (1)" in line
    assert "hunter2" not in caplog.text and KEY not in caplog.text


async def test_without_keys_the_line_says_the_service_is_open(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        async with make_client(settings_for(None, dashscope_api_key=None)):
            pass
    line = startup_line(caplog).getMessage()
    assert "no DASHSCOPE_API_KEY" in line and "database: none" in line
    assert "API keys: off" in line


async def test_an_unreachable_server_starts_degraded_and_says_why(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/shop"
    async with make_client(settings_for(url, db_acquire_timeout_seconds=1)) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"] == (
        "database unreachable: nothing accepts connections at the server's address"
    )
    (warning,) = [r for r in caplog.records if "the service starts without it" in r.getMessage()]
    assert warning.getMessage().startswith("database shop on 127.0.0.1:")
    assert "unreachable: nothing accepts connections" in warning.getMessage()


async def test_a_missing_database_starts_degraded_and_says_so(
    pg_admin: str, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    url = with_database(pg_admin, "txt2sql_no_such_database")
    async with make_client(settings_for(url, db_acquire_timeout_seconds=1)) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["detail"] == "database missing: the server has no database of that name"
    assert "txt2sql_no_such_database on" in caplog.text and "missing:" in caplog.text


async def test_with_the_openai_provider_the_line_names_it_and_its_base_url(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(
        None,
        provider="openai",
        openai_base_url="http://127.0.0.1:11434/v1",
        openai_api_key="ollama",
        model="qwen3:8b",
    )
    with caplog.at_level(logging.INFO):
        async with make_client(settings):
            pass
    record = startup_line(caplog)
    line = record.getMessage()
    where = "an OpenAI-compatible server at http://127.0.0.1:11434/v1, model qwen3:8b, key set"
    assert where in line
    assert record.fields["provider"] == "openai"  # type: ignore[attr-defined]
    assert record.fields["base_url"] == "http://127.0.0.1:11434/v1"  # type: ignore[attr-defined]
    assert "ollama" not in line


async def test_with_the_openai_provider_and_no_key_the_line_names_openai_api_key(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(None, provider="openai", openai_api_key=None, openai_base_url=None)
    with caplog.at_level(logging.INFO):
        async with make_client(settings):
            pass
    line = startup_line(caplog).getMessage()
    assert "an OpenAI-compatible server at https://api.openai.com/v1" in line
    assert "no OPENAI_API_KEY" in line
