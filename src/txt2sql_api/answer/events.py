"""Typed events of the `/v1/ask` stream: one pydantic model per SSE `event:` name.

The same models are used to document the stream in OpenAPI and to decode it in clients.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from txt2sql_api.sql.guard import SqlProblem
from txt2sql_api.sql.run import ResultColumn


class StreamEvent(BaseModel):
    event_name: ClassVar[str]


_ATTEMPT = Field(
    default=1, ge=1, description="1 for the first answer, 2 for the repair after a failed SQL."
)


class ThinkingEvent(StreamEvent):
    event_name: ClassVar[str] = "thinking"
    delta: str = Field(description="Next piece of the model's reasoning, shown as it arrives.")
    attempt: int = _ATTEMPT


class SqlEvent(StreamEvent):
    event_name: ClassVar[str] = "sql"
    sql: str
    valid: bool
    problems: list[SqlProblem] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list, description="Tables the SQL reads.")
    complete: bool = Field(
        default=True, description="False when the model's stream ended inside the SQL block."
    )
    attempt: int = _ATTEMPT


class RowsEvent(StreamEvent):
    """A batch of the result of running the SQL; the first carries the columns, the last is
    `final` and says whether the row or byte cap cut the result short."""

    event_name: ClassVar[str] = "rows"
    columns: list[ResultColumn] | None = Field(default=None, description="Only in the first batch.")
    rows: list[list[Any]] = Field(description="Values as JSON: see README, Result values.")
    row_count: int = Field(description="Rows sent so far, this batch included.")
    final: bool = False
    truncated: bool = Field(default=False, description="The result had more rows than sent.")
    attempt: int = _ATTEMPT


class UsageEvent(StreamEvent):
    event_name: ClassVar[str] = "usage"
    input_tokens: int
    output_tokens: int
    total_tokens: int
    model: str
    request_id: str = Field(description="The upstream (DashScope) request id.")
    attempt: int = _ATTEMPT


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
    RowsEvent,
    UsageEvent,
    ErrorEvent,
    DoneEvent,
)
