"""Settings: every one documented in .env.example, secrets without defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.helpers.settings import env_name
from txt2sql_api.config import Settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)


def test_every_setting_is_in_env_example_with_a_meaning() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for field in Settings.model_fields:
        match = re.search(rf"^# (.+)\n#? ?{env_name(field)}=", text, re.MULTILINE)
        assert match, f"{env_name(field)} is missing from .env.example, or has no comment above it"


def test_env_example_values_are_the_defaults() -> None:
    from_file = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg]
    assert from_file == Settings(_env_file=None)  # type: ignore[call-arg]


def test_secrets_have_no_placeholder_defaults() -> None:
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert defaults.dashscope_api_key is None
    assert defaults.database_url is None
    assert "secret" not in repr(Settings(_env_file=None, dashscope_api_key="secret"))  # type: ignore[call-arg]


# Read from `.env` by docker compose, not by the service.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def test_every_line_of_env_example_is_read_from_a_dotenv_file() -> None:
    listed = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text("utf-8"), re.MULTILINE)
    read = {env_name(field) for field in Settings.model_fields}
    assert set(listed) - COMPOSE_ONLY <= read, "listed in .env.example but read by nothing"


def test_the_sdk_s_base_url_works_from_a_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DASHSCOPE_HTTP_BASE_URL=http://127.0.0.1:8089/api/v1\n", "utf-8")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.dashscope_http_base_url == "http://127.0.0.1:8089/api/v1"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://user:pw@db:3306/shop", "its scheme is mysql://, not postgresql://"),
        ("localhost:5432/shop", "it is not a URL"),
        ("postgresql://user:p@ss@db:5432/shop", "more than one @"),
        ("postgresql://user:pa/ss@db:5432/shop", "more than one @, or an @ after a / ? or #"),
        ("postgresql://user:pa#ss@db:5432/shop", "an @ after a / ? or #"),
        ("postgresql://db:five/shop", "not a port number"),
    ],
)
def test_a_database_url_that_is_not_postgresql_s_is_refused(url: str, problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    (error,) = raised.value.errors()
    # What the command line says (the input itself is left out: it may hold a password).
    message = error["msg"]
    assert problem in message and "percent-encoded" in message
    assert "pw" not in message and "ss@" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:p%40ss@db:5432/shop",
        "postgres://db/shop",
        "postgresql://user:a:b@db/shop",
        "postgresql:///shop?host=/var/run/postgresql",
        "postgresql://db1:5432,db2:5433/shop",
        "postgresql://[::1]:5432/shop",
    ],
)
def test_postgresql_urls_asyncpg_reads_are_accepted(url: str) -> None:
    assert Settings(_env_file=None, database_url=url).database_url == url  # type: ignore[call-arg]
