"""The app under test: its settings, and the environment of a real `serve` process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.helpers.standin.dashscope_server import DashScopeStandIn
from tests.helpers.standin.openai_server import OpenAIStandIn
from txt2sql_api.config import Settings

TEST_API_KEY = "sk-test-standin"
# Two API keys of the service, for the tests of access control.
KEY = "k-alpha-0f3c9d2e7b"
OTHER_KEY = "k-beta-8a1d4c6f2e"
# `async with make_client(settings) as client:` (the conftest fixture) runs the app's lifespan.
ClientFactory = Callable[..., Any]


def settings_for(database_url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "dashscope_api_key": TEST_API_KEY,
        "first_token_timeout_seconds": 10.0,
        "idle_timeout_seconds": 10.0,
        "upstream_retry_base_seconds": 0.01,
        # Tests ask the demo's verified questions to exercise the model's path; the tests of
        # answers reused from examples switch it on.
        "reuse_examples": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def openai_settings_for(
    database_url: str | None, standin: OpenAIStandIn, **overrides: Any
) -> Settings:
    """`settings_for` with the model behind the OpenAI-compatible stand-in."""
    values: dict[str, Any] = {
        "provider": "openai",
        "openai_base_url": standin.base_url,
        "openai_api_key": TEST_API_KEY,
    }
    return settings_for(database_url, **(values | overrides))


def demo_server_env(database_url: str, standin: DashScopeStandIn) -> dict[str, str]:
    """The environment of a `serve` process on a demo database, answering through the stand-in."""
    return {
        "DATABASE_URL": database_url,
        "DASHSCOPE_API_KEY": TEST_API_KEY,
        "DASHSCOPE_HTTP_BASE_URL": standin.base_url,
        "TXT2SQL_REUSE_EXAMPLES": "false",
        # One server serves a whole module of browser tests, each page load several calls:
        # the default quota would refuse the later tests (the quota tests set their own).
        "TXT2SQL_RATE_LIMIT_PER_MINUTE": "6000",
        "TXT2SQL_RATE_LIMIT_BURST": "1000",
    }


def keyed(database_url: str | None, **overrides: Any) -> Settings:
    """Settings that require one of the two keys."""
    return settings_for(database_url, api_keys=f"{KEY}, {OTHER_KEY}", **overrides)


def server_env(demo_db: str, standin: DashScopeStandIn, **settings: str) -> dict[str, str]:
    """`demo_server_env` with these settings (by field name) on top."""
    return demo_server_env(demo_db, standin) | {
        f"TXT2SQL_{name.upper()}": value for name, value in settings.items()
    }
