"""The README cannot drift: its configuration table is the one `Settings` gives, and its example
events are events the models accept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.helpers.settings import env_name
from txt2sql_api.client import EVENT_MODELS
from txt2sql_api.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE = re.compile(r"<!-- settings -->\n(.*?)<!-- /settings -->", re.DOTALL)


def shown_default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_name(name)}` | {shown_default(field.default)} | {description} |")
    return "\n".join(rows) + "\n"


def test_the_configuration_table_is_the_settings() -> None:
    match = TABLE.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has no <!-- settings --> table"
    expected = settings_table()
    assert match.group(1) == expected, (
        f"README's settings table is stale; it should be:\n{expected}"
    )


def test_the_example_events_are_valid_events() -> None:
    text = README.read_text(encoding="utf-8")
    examples = re.findall(r"^event: (\w+)\ndata: (\{.*\})$", text, re.MULTILINE)
    assert len(examples) >= 6
    for name, data in examples:
        if "..." in data:  # an abridged example
            continue
        EVENT_MODELS[name].model_validate_json(data)
