"""Settings: every one documented in .env.example, secrets without defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
