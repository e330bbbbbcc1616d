"""Typed events of the `/v1/ask` stream: one pydantic model per SSE `event:` name.

The same models are used to document the stream in OpenAPI and to decode it in clients.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from txt2sql_api.sql.outcome import ResultColumn, SqlProblem


class StreamEvent(BaseModel):
    event_name: ClassVar[str]


_ATTEMPT = Field(
    default=1, ge=1, description="1 for the first answer, 2 for the repair after a failed SQL."
)


class ContextTable(BaseModel):
    table: str
    score: float = Field(description="Relevance to the question; 0 for a table added to join.")
    reasons: list[str] = Field(description="Why it was chosen: values, examples, joins, fit.")
    columns_left_out: int = Field(
        default=0, description="Columns not shown (0: tables are sent whole)."
    )


class ContextValue(BaseModel):
    value: str
    columns: list[str] = Field(description="`schema.table.column` holding the value.")


class ContextDate(BaseModel):
    text: str = Field(description="The question's words, e.g. 上个月.")
    start: date = Field(description="First day of the range.")
    end: date = Field(description="The day after the range (the range is start <= t < end).")


class ContextTerm(BaseModel):
    term: str = Field(description="A glossary term the question uses.")
    matched: str = Field(description="The question's words for it: the term or a synonym.")
    meaning: str
    sql: str | None = None
    tables: list[str] = Field(default_factory=list)


class ContextExample(BaseModel):
    id: int
    question: str
    score: float = Field(description="Similarity to the question.")


class ContextEvent(StreamEvent):
    """What the model is shown for this attempt, before its first `thinking`: the tables and
    why, the database values, dates and glossary terms found in the question, the verified
    examples."""

    event_name: ClassVar[str] = "context"
    tables: list[ContextTable]
    values: list[ContextValue] = Field(default_factory=list)
    dates: list[ContextDate] = Field(default_factory=list)
    glossary: list[ContextTerm] = Field(default_factory=list)
    examples: list[ContextExample] = Field(default_factory=list)
    schema_tokens: int = Field(description="Qwen tokens of the schema part of the prompt.")
    attempt: int = _ATTEMPT


class ThinkingEvent(StreamEvent):
    event_name: ClassVar[str] = "thinking"
    delta: str = Field(description="Next piece of the model's reasoning, shown as it arrives.")
    attempt: int = _ATTEMPT


class SqlEvent(StreamEvent):
    event_name: ClassVar[str] = "sql"
    sql: str
    valid: bool
    source: Literal["model", "example"] = Field(
        default="model",
        description="`example`: the SQL of a verified example the question matches, reused "
        "without a model call.",
    )
    example_id: int | None = Field(default=None, description="With `source: example`: its id.")
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
    rows: list[list[Any]] = Field(description="Values as JSON: see docs/api.md, Result values.")
    row_count: int = Field(description="Rows sent so far, this batch included.")
    final: bool = False
    truncated: bool = Field(default=False, description="The result had more rows than sent.")
    attempt: int = _ATTEMPT


class ChartEvent(StreamEvent):
    """How to draw the result, chosen by fixed rules from its column types, row count and
    names (never by the model): after the last `rows` batch, when a rule fits."""

    event_name: ClassVar[str] = "chart"
    mark: Literal["number", "line", "bar", "pie", "scatter"] = Field(
        description="`number`: one value (a KPI card); `line`: measures over time; `bar`: one "
        "measure per category, in the SQL's order; `pie`: shares; `scatter`: two measures."
    )
    x: str = Field(
        description="The column along the x axis (time, category or first measure); for "
        "`number`, the measure's column."
    )
    y: list[str] = Field(description="The measures' columns.")
    series: str | None = Field(
        default=None, description="A category column that splits a line into one per value."
    )
    spec: dict[str, Any] = Field(description="An Apache ECharts option object that draws it.")
    attempt: int = _ATTEMPT


class AnswerEvent(StreamEvent):
    """The next piece of a short answer in words, written from the rows by a second model call
    (`summarize`), after the last `rows` batch and its `chart`."""

    event_name: ClassVar[str] = "answer"
    delta: str
    attempt: int = _ATTEMPT


class UsageEvent(StreamEvent):
    event_name: ClassVar[str] = "usage"
    call: Literal["sql", "summary"] = Field(
        default="sql", description="`summary`: the call that wrote the `answer` events."
    )
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


class ClarifyEvent(StreamEvent):
    """The model asks back instead of guessing: answer it in the same conversation."""

    event_name: ClassVar[str] = "clarify"
    question: str = Field(description="What the model needs to know, in the question's language.")
    options: list[str] | None = Field(default=None, description="Answers it suggests, if any.")
    attempt: int = _ATTEMPT


class DoneEvent(StreamEvent):
    event_name: ClassVar[str] = "done"
    request_id: str = Field(description="This service's request id, also in X-Request-ID.")
    conversation_id: str | None = Field(
        default=None,
        description="The conversation this answer belongs to (also in X-Conversation-ID): send "
        "it with the next question to follow up.",
    )


EVENT_TYPES: tuple[type[StreamEvent], ...] = (
    ContextEvent,
    ThinkingEvent,
    SqlEvent,
    RowsEvent,
    ChartEvent,
    AnswerEvent,
    ClarifyEvent,
    UsageEvent,
    ErrorEvent,
    DoneEvent,
)
