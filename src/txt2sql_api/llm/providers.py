"""Which provider serves the model (TXT2SQL_PROVIDER), and where its calls go."""

from __future__ import annotations

from dataclasses import dataclass

from txt2sql_api.config import Settings
from txt2sql_api.llm.base import LlmClient
from txt2sql_api.llm.dashscope import DashScopeClient, upstream_base_url


def client_for(settings: Settings) -> LlmClient:
    if settings.provider == "openai":
        # Imported only here: the openai SDK and its HTTP library are memory that a service on
        # DashScope never uses.
        from txt2sql_api.llm.openai_compatible import OpenAIClient

        return OpenAIClient.from_settings(settings)
    return DashScopeClient.from_settings(settings)


@dataclass(frozen=True)
class Destination:
    """Where model calls go, as the startup line says it."""

    provider: str
    name: str
    base_url: str
    key_variable: str
    key_set: bool


def destination(settings: Settings) -> Destination:
    if settings.provider == "openai":
        from txt2sql_api.llm.openai_compatible import SDK_BASE_URL

        return Destination(
            provider="openai",
            name="an OpenAI-compatible server",
            # What the SDK does without the setting: OPENAI_BASE_URL is the setting's own name.
            base_url=settings.openai_base_url or SDK_BASE_URL,
            key_variable="OPENAI_API_KEY",
            key_set=settings.openai_api_key is not None,
        )
    return Destination(
        provider="dashscope",
        name="DashScope",
        base_url=upstream_base_url(settings.dashscope_http_base_url),
        key_variable="DASHSCOPE_API_KEY",
        key_set=settings.dashscope_api_key is not None,
    )
