"""What the tools answer: the `ask` tool's result gathered from the answer's typed events (the
same events the SSE route sends), its reasoning passed on as progress while it streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from txt2sql_api.answer import events as ev
from txt2sql_api.errors import ServiceError
from txt2sql_api.examples.store import Example
from txt2sql_api.jsonl import Outcome
from txt2sql_api.mcp_server.failures import Failure
from txt2sql_api.sql.outcome import ResultColumn, SqlProblem

# Progress is sent as `notifications/progress`: a step number and what happened.
Progress = Callable[[float, str], Awaitable[None]]


class Clarification(BaseModel):
    question: str = Field(description="What the model needs to know before it writes SQL.")
    options: list[str] | None = Field(default=None, description="Answers it suggests, if any.")


class AskResult(BaseModel):
    sql: str | None = Field(
        description="The answer's SQL, checked (null when the model asked back instead)."
    )
    valid: bool = Field(
        description="The SQL passed every check (one read-only query over the shown tables, "
        "planned by the database). Invalid SQL is never run."
    )
    problems: list[SqlProblem] = Field(description="Why it is not valid, when it is not.")
    tables: list[str] = Field(description="The tables the SQL reads.")
    source: Literal["model", "example"] = Field(
        default="model", description="`example`: the SQL of a verified example, reused."
    )
    columns: list[ResultColumn] | None = Field(
        default=None, description="With `execute`: the result's columns and their types."
    )
    rows: list[list[Any]] | None = Field(
        default=None, description="With `execute`: the rows, as JSON values."
    )
    row_count: int | None = Field(default=None, description="With `execute`: rows returned.")
    truncated: bool | None = Field(
        default=None, description="With `execute`: the result had more rows than returned."
    )
    error: Failure | None = Field(
        default=None,
        description="Running the SQL failed (e.g. `query_timeout`): the SQL is still returned.",
    )
    clarify: Clarification | None = Field(
        default=None,
        description="The model asks back: answer in the same conversation (`conversation_id`).",
    )
    request_id: str = Field(description="This answer's id, for `POST /v1/feedback`.")
    conversation_id: str | None = Field(
        default=None, description="Pass it with the next question to follow up."
    )


class ExampleResult(BaseModel):
    example: Example
    outcome: Outcome = Field(
        description="`added`; `updated` when the question was stored already (it gets this "
        "SQL); `unchanged` when the same pair was."
    )


@dataclass
class _Attempt:
    """What one attempt answered; a repair round's replaces the first one's."""

    sql: ev.SqlEvent | None = None
    clarify: ev.ClarifyEvent | None = None
    columns: list[ResultColumn] | None = None
    rows: list[list[Any]] = field(default_factory=list)
    last_rows: ev.RowsEvent | None = None
    error: ev.ErrorEvent | None = None

    def result(self, done: ev.DoneEvent) -> AskResult:
        sql, rows, error = self.sql, self.last_rows, self.error
        if sql is None and self.clarify is None:
            if error is None:
                raise ServiceError("no_sql", "the answer ended without SQL", retryable=True)
            raise ServiceError(error.code, error.message, retryable=error.retryable)
        clarify = self.clarify
        return AskResult(
            sql=sql.sql if sql else None,
            valid=sql.valid if sql else False,
            problems=sql.problems if sql else [],
            tables=sql.tables if sql else [],
            source=sql.source if sql else "model",
            columns=self.columns,
            rows=self.rows if rows else None,
            row_count=rows.row_count if rows else None,
            truncated=rows.truncated if rows else None,
            error=_failure(error) if error else None,
            clarify=Clarification(question=clarify.question, options=clarify.options)
            if clarify
            else None,
            request_id=done.request_id,
            conversation_id=done.conversation_id,
        )


def _taken(attempt: _Attempt, event: ev.StreamEvent) -> _Attempt:
    if isinstance(event, ev.SqlEvent):
        return _Attempt(sql=event)
    if isinstance(event, ev.ClarifyEvent):
        return _Attempt(clarify=event)
    if isinstance(event, ev.RowsEvent):
        if event.columns is not None:
            attempt.columns = event.columns
        attempt.rows.extend(event.rows)
        attempt.last_rows = event
    elif isinstance(event, ev.ErrorEvent):
        attempt.error = event
    return attempt


def _failure(error: ev.ErrorEvent) -> Failure:
    return Failure(code=error.code, message=error.message, retryable=error.retryable)


def _progress_message(event: ev.StreamEvent) -> str | None:
    """What an agent that shows progress is told: the reasoning as it streams, and the steps."""
    if isinstance(event, ev.ThinkingEvent):
        return event.delta
    if isinstance(event, ev.ContextEvent):
        tables = ", ".join(table.table for table in event.tables)
        return f"[attempt {event.attempt}] the model is shown: {tables}\n"
    if isinstance(event, ev.SqlEvent):
        return f"\n[attempt {event.attempt}] SQL {'checked' if event.valid else 'refused'}\n"
    if isinstance(event, ev.ErrorEvent):
        return f"\n[{event.code}] {event.message}\n"
    return None


async def gathered(events: AsyncIterator[ev.StreamEvent], progress: Progress) -> AskResult:
    attempt, done, step = _Attempt(), None, 0
    async for event in events:
        if isinstance(event, ev.DoneEvent):
            done = event
        attempt = _taken(attempt, event)
        message = _progress_message(event)
        if message is not None:
            step += 1
            await progress(step, message)
    assert done is not None  # every answer ends with `done`
    return attempt.result(done)
