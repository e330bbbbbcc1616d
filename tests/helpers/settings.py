"""Settings as the environment names them."""

from __future__ import annotations

from txt2sql_api.config import Settings


def env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else f"TXT2SQL_{field.upper()}"
