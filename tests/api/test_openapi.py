"""/openapi.json: the stream's events as named schemas with an example stream; every other
endpoint with its models and examples."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource

from tests.helpers.app import ClientFactory, settings_for
from txt2sql_api.answer.events import EVENT_TYPES
from txt2sql_api.api.openapi import EXAMPLE_STREAM, SUMMARIES
from txt2sql_api.client import decode

EVENT_SCHEMAS = [
    "ContextEvent",
    "ThinkingEvent",
    "SqlEvent",
    "RowsEvent",
    "ChartEvent",
    "AnswerEvent",
    "ClarifyEvent",
    "UsageEvent",
    "ErrorEvent",
    "DoneEvent",
]


@pytest.fixture
async def document(make_client: ClientFactory) -> dict[str, Any]:
    async with make_client(settings_for(None)) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_every_event_is_a_named_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert sorted(t.__name__ for t in EVENT_TYPES) == sorted(EVENT_SCHEMAS)
    for name in EVENT_SCHEMAS:
        assert schemas[name]["type"] == "object", name
    assert {schemas[name]["x-sse-event"] for name in EVENT_SCHEMAS} == {
        "context",
        "thinking",
        "sql",
        "rows",
        "chart",
        "answer",
        "clarify",
        "usage",
        "error",
        "done",
    }
    # Nested models are components too, so every $ref resolves.
    assert "SqlProblem" in schemas and "ResultColumn" in schemas


@pytest.mark.parametrize("method", ["get", "post"])
def test_ask_is_documented_as_an_event_stream(document: dict[str, Any], method: str) -> None:
    responses = document["paths"]["/v1/ask"][method]["responses"]
    stream = responses["200"]["content"]["text/event-stream"]
    refs = [item["$ref"] for item in stream["schema"]["oneOf"]]
    assert refs == [f"#/components/schemas/{name}" for name in EVENT_SCHEMAS]
    assert {"403", "422", "503"} <= set(responses)


def test_the_example_stream_decodes_into_the_event_models(document: dict[str, Any]) -> None:
    example = document["paths"]["/v1/ask"]["post"]["responses"]["200"]["content"][
        "text/event-stream"
    ]["example"]
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, text=example)
    decoded = [decode(sse) for sse in EventSource(response).iter_sse()]
    assert decoded == EXAMPLE_STREAM
    assert type(decoded[-1]).__name__ == "DoneEvent"


def test_every_other_endpoint_has_a_model_and_an_example(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        if path == "/v1/ask":
            continue
        for method, operation in operations.items():
            success = next(code for code in operation["responses"] if code.startswith("2"))
            if success == "204":  # nothing to model: the answer is its status
                assert "content" not in operation["responses"][success]
                continue
            if path == "/metrics":  # Prometheus' text format, not JSON
                assert "text/plain" in str(operation["responses"][success]["content"])
                continue
            content = operation["responses"][success]["content"]["application/json"]
            assert "$ref" in str(content["schema"]), f"{method} {path} has no response model"
            assert "example" in content, f"{method} {path} has no example"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_docs_pages_load_nothing_from_elsewhere(
    make_client: ClientFactory, path: str
) -> None:
    async with make_client(settings_for(None)) as client:
        page = await client.get(path)
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", page.text)
        assert "/openapi.json" in urls
        assert all(url.startswith("/") for url in urls), urls
        for url in urls:
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url


def test_every_operation_has_a_short_id_and_a_summary_of_its_own(
    document: dict[str, Any],
) -> None:
    operations = [op for path in document["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == len(ids)
    assert {"ask_post", "ask_get"} <= set(ids)
    for operation in operations:
        assert operation["summary"] == SUMMARIES[operation["operationId"]]
    assert sorted(SUMMARIES) == sorted(ids), "a summary for an operation that is gone"


async def test_the_docs_pages_point_at_nothing_elsewhere_even_inside_their_scripts(
    make_client: ClientFactory,
) -> None:
    async with make_client(settings_for(None)) as client:
        swagger = await client.get("/docs")
        redoc = (await client.get("/redoc")).text
        (script,) = re.findall(r'<script src="([^"]+)"', redoc)
        bundle = await client.get(script)
    assert '"validatorUrl": null' in swagger.text  # else a badge from validator.swagger.io
    assert bundle.status_code == 200 and "redoc" in bundle.text.lower()
    assert "cdn.redoc.ly" not in bundle.text
