"""The docs cannot drift: the README stays a five-minute read whose links resolve, the settings
table is the one `Settings` gives, and every JSON example (stream events, responses) is one the
service's own models accept, key for key."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tests.helpers.settings import env_name
from txt2sql_api.client import EVENT_MODELS
from txt2sql_api.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
TABLE = re.compile(r"<!-- settings -->\n(.*?)<!-- /settings -->", re.DOTALL)
EVENT = re.compile(r"^event: (\w+)\ndata: (\{.*\})$", re.MULTILINE)
# A JSON block says what it is an example of: `<!-- model: package.module:Class -->`.
JSON_BLOCK = re.compile(r"(?:<!-- model: ([\w.:]+|log line) -->\n)?```json\n(.*?)```", re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")


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
    match = TABLE.search(CONFIGURATION.read_text(encoding="utf-8"))
    assert match, "docs/configuration.md has no <!-- settings --> table"
    expected = settings_table()
    assert match.group(1) == expected, f"the settings table is stale; it should be:\n{expected}"


def test_the_readme_is_a_five_minute_read_that_starts_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()[:2]] == [
        "make run",
        "make test",
    ]


def anchors(document: Path) -> set[str]:
    """GitHub's anchors for a document's headings."""
    headings = re.findall(r"^#+ (.+)$", document.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(document: Path) -> None:
    for link in LINK.findall(document.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        assert target.exists(), f"{document.name}: {link} leads nowhere"
        if anchor:
            assert anchor in anchors(target), f"{document.name}: {link} names no heading"


def assert_shaped_like(example: Any, sent: Any, where: str) -> None:
    """Every key of the example is one the model sends, at every depth."""
    if isinstance(example, dict):
        assert isinstance(sent, dict), where
        for key, value in example.items():
            assert key in sent, f"{where}: `{key}` is not a field"
            assert_shaped_like(value, sent[key], f"{where}.{key}")
    elif isinstance(example, list) and isinstance(sent, list):
        for index, (item, sent_item) in enumerate(zip(example, sent, strict=True)):
            assert_shaped_like(item, sent_item, f"{where}[{index}]")


def check(model: type[BaseModel], data: dict[str, Any], where: str) -> None:
    sent = model.model_validate(data).model_dump(mode="json")
    assert_shaped_like(data, sent, where)


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_every_example_event_is_one_the_models_accept(document: Path) -> None:
    for name, data in EVENT.findall(document.read_text(encoding="utf-8")):
        check(EVENT_MODELS[name], json.loads(data), f"{document.name}: {name} event")


def model_named(path: str) -> type[BaseModel]:
    module, _, name = path.partition(":")
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


@pytest.mark.parametrize("document", DOCS, ids=lambda p: p.name)
def test_every_json_example_is_one_the_models_accept(document: Path) -> None:
    for model, text in JSON_BLOCK.findall(document.read_text(encoding="utf-8")):
        where = f"{document.name}: {text[:40]}…"
        assert model, f"{where}: say its model in a <!-- model: module:Class --> line"
        if model == "log line":
            line = json.loads(text.replace("…", ""))
            assert {"time", "level", "logger", "message", "request_id", "caller"} <= set(line)
        else:
            check(model_named(model), json.loads(text), where)


def test_the_checks_find_the_examples() -> None:
    texts = "".join(document.read_text(encoding="utf-8") for document in DOCS)
    assert len(EVENT.findall(texts)) >= 12
    assert len(JSON_BLOCK.findall(texts)) >= 4
