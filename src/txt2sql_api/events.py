"""Typed events of the `/v1/ask` stream: one pydantic model per SSE `event:` name.

The same models are used to document the stream in OpenAPI and to decode it in clients.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field


class StreamEvent(BaseModel):
    event_name: ClassVar[str]


class ThinkingEvent(StreamEvent):
    event_name: ClassVar[str] = "thinking"
    delta: str = Field(description="Next piece of the model's reasoning, shown as it arrives.")


class SqlProblem(BaseModel):
    code: str
    message: str


class SqlEvent(StreamEvent):
    event_name: ClassVar[str] = "sql"
    sql: str
    valid: bool
    problems: list[SqlProblem] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list, description="Tables the SQL reads.")
    complete: bool = Field(
        default=True, description="False when the model's stream ended inside the SQL block."
    )


class UsageEvent(StreamEvent):
    event_name: ClassVar[str] = "usage"
    input_tokens: int
    output_tokens: int
    total_tokens: int
    model: str
    request_id: str = Field(description="The upstream (DashScope) request id.")


class ErrorEvent(StreamEvent):
    event_name: ClassVar[str] = "error"
    code: str
    message: str
    retryable: bool = False


class DoneEvent(StreamEvent):
    event_name: ClassVar[str] = "done"
    request_id: str = Field(description="This service's request id, also in X-Request-ID.")


EVENT_TYPES: tuple[type[StreamEvent], ...] = (
    ThinkingEvent,
    SqlEvent,
    UsageEvent,
    ErrorEvent,
    DoneEvent,
)
