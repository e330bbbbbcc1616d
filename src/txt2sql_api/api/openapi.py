"""What `/docs` shows beyond what FastAPI infers: the `/v1/ask` stream as `text/event-stream`
with every event as a named schema and an example stream, and examples for the other endpoints.
Examples are built from the models themselves, so they cannot drift from what is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from sse_starlette import ServerSentEvent

from txt2sql_api.answer.events import (
    EVENT_TYPES,
    DoneEvent,
    RowsEvent,
    SqlEvent,
    StreamEvent,
    ThinkingEvent,
    UsageEvent,
)
from txt2sql_api.examples.store import Example
from txt2sql_api.schema.introspect import Column, ForeignKey, SchemaSnapshot, Table
from txt2sql_api.sql.outcome import ResultColumn

_REF = "#/components/schemas/{model}"

Responses = dict[int | str, dict[str, Any]]


class ErrorDetail(BaseModel):
    """The body of an error response that is not a validation error."""

    detail: str


def event_schemas() -> dict[str, Any]:
    """Every event model (and the models they use) as OpenAPI component schemas; each event's
    schema names its SSE `event:` in `x-sse-event`."""
    _, top = models_json_schema([(t, "serialization") for t in EVENT_TYPES], ref_template=_REF)
    schemas: dict[str, Any] = top["$defs"]
    for event_type in EVENT_TYPES:
        schemas[event_type.__name__]["x-sse-event"] = event_type.event_name
    return schemas


def sse_text(events: list[StreamEvent]) -> str:
    """Events as they travel on the wire (sse-starlette's encoding, as the server sends them)."""
    return "".join(
        ServerSentEvent(data=event.model_dump_json(), event=event.event_name, id=str(number))
        .encode()
        .decode()
        for number, event in enumerate(events, start=1)
    )


_SQL = "SELECT zdbh, zdmc, xlbh FROM dtzpt WHERE zdmc = '沈塘桥'"

EXAMPLE_STREAM: list[StreamEvent] = [
    ThinkingEvent(delta="我理解您想查看沈塘桥站的"),
    ThinkingEvent(delta="基本信息，需要查询地铁站点表 dtzpt。\n"),
    SqlEvent(sql=_SQL, valid=True, tables=["dtzpt"]),
    UsageEvent(
        input_tokens=2210,
        output_tokens=45,
        total_tokens=2255,
        model="qwen-plus",
        request_id="a1c3d9e2-6f1b-9c7e-8d2a-5b4f3e2a1c0d",
    ),
    RowsEvent(
        columns=[
            ResultColumn(name="zdbh", type="varchar"),
            ResultColumn(name="zdmc", type="varchar"),
            ResultColumn(name="xlbh", type="varchar"),
        ],
        rows=[["ZD0208", "沈塘桥", "L02"]],
        row_count=1,
        final=True,
    ),
    DoneEvent(request_id="5f0e8c1d2b3a49f6a7e8d9c0b1a2f3e4"),
]

_EVENT_LIST = ", ".join(f"`{t.event_name}` ({t.__name__})" for t in EVENT_TYPES)

ASK_RESPONSES: Responses = {
    200: {
        "description": "A stream of server-sent events, each with an `id`, an `event:` name and "
        f"one JSON object as `data`: {_EVENT_LIST}. Always ends with `done`; `: ping` comment "
        "lines keep an idle connection open.",
        "content": {
            "text/event-stream": {
                "schema": {
                    "description": "The `data` of one event; its `event:` name says which.",
                    "oneOf": [{"$ref": _REF.format(model=t.__name__)} for t in EVENT_TYPES],
                },
                "example": sse_text(EXAMPLE_STREAM),
            }
        },
    },
    403: {
        "model": ErrorDetail,
        "description": "`execute: true` on a server where running SQL is switched off.",
        "content": {
            "application/json": {
                "example": {
                    "detail": "running SQL is switched off on this server (TXT2SQL_EXECUTE=false)"
                }
            }
        },
    },
    404: {
        "model": ErrorDetail,
        "description": "`conversation_id` names no conversation of the caller's (unknown, "
        "deleted, expired, or another API key's).",
        "content": {
            "application/json": {"example": {"detail": "no conversation c_x to follow up"}}
        },
    },
    503: {
        "model": ErrorDetail,
        "description": "Too many live streams; retry after `Retry-After` seconds.",
        "content": {
            "application/json": {"example": {"detail": "too many live streams, retry shortly"}}
        },
    },
}


def json_example(description: str, example: BaseModel | list[BaseModel]) -> dict[str, Any]:
    """One documented JSON response whose example is a model instance, serialized as sent."""
    value = (
        [item.model_dump(mode="json") for item in example]
        if isinstance(example, list)
        else example.model_dump(mode="json")
    )
    return {"description": description, "content": {"application/json": {"example": value}}}


_NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)

EXAMPLE_SCHEMA = SchemaSnapshot(
    tables=[
        Table(
            schema_name="public",
            name="dtzpt",
            kind="table",
            comment="地铁站点",
            columns=[
                Column(
                    name="zdbh", type="character varying(12)", nullable=False, comment="站点编号"
                ),
                Column(
                    name="zdmc", type="character varying(32)", nullable=False, comment="站点名称"
                ),
                Column(
                    name="xlbh", type="character varying(8)", nullable=False, comment="线路编号"
                ),
            ],
            primary_key=["zdbh"],
            foreign_keys=[
                ForeignKey(columns=["xlbh"], ref_table="public.xlxx", ref_columns=["xlbh"])
            ],
            row_estimate=240,
        )
    ],
    loaded_at=_NOW,
)

EXAMPLE_PAIR = Example(
    id=1,
    question="沈塘桥地铁站的信息",
    sql="SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'",
    source="api",
    created_at=_NOW,
    updated_at=_NOW,
)


def operation_id(route: APIRoute) -> str:
    """An operation's id is its function's name (`ask_post`), not FastAPI's path-long one."""
    return route.name


# What /docs lists for each operation, by operation id; FastAPI would show the function's name
# in title case ("Ask Post").
SUMMARIES = {
    "ask_post": "Ask a question: the answer as a stream of events",
    "ask_get": "Ask a question from a browser's EventSource (GET)",
    "get_schema": "The schema the model is shown, or the tables a question gets",
    "refresh_schema": "Re-read the schema now",
    "add_example": "Store a verified question→SQL pair",
    "list_examples": "List and search the stored pairs",
    "get_example": "Read one stored pair",
    "replace_example": "Replace one stored pair",
    "delete_example": "Delete one stored pair",
    "add_term": "Store a glossary term",
    "list_terms": "List the glossary's terms",
    "get_term": "Read one glossary term",
    "replace_term": "Replace one glossary term",
    "delete_term": "Delete one glossary term",
    "list_conversations": "List your conversations",
    "get_conversation": "Read one conversation, turn by turn",
    "delete_conversation": "Delete one conversation",
    "give_feedback": "Say whether an answer was right",
    "issue_token": "A short-lived token for GET /v1/ask from a browser",
    "healthz": "Liveness: the process answers",
    "readyz": "Readiness: the database answers and its schema is loaded",
    "metrics": "Prometheus metrics",
}


def install(app: FastAPI) -> None:
    """Adds the event schemas to the app's OpenAPI document, which FastAPI would leave out:
    they are never a route's JSON response; and each operation's summary."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            document.setdefault("components", {}).setdefault("schemas", {}).update(event_schemas())
            for operations in document["paths"].values():
                for operation in operations.values():
                    operation["summary"] = SUMMARIES.get(
                        operation["operationId"], operation.get("summary")
                    )
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
