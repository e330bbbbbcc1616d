"""Each answer kept for feedback (its question and final SQL) and, in a conversation, as a turn
the next question sees: recorded as the stream ends, before its `done`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from txt2sql_api.answer.events import ClarifyEvent, RowsEvent, SqlEvent, StreamEvent
from txt2sql_api.conversations.history import PREVIEW_ROWS
from txt2sql_api.conversations.store import ConversationStore, Turn
from txt2sql_api.examples.answer_log import RecentAnswers, RecordedAnswer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Conversation:
    """Where a turn goes: the conversation, its owner, and the store."""

    store: ConversationStore
    id: str
    owner: str


@dataclass
class _Outcome:
    """How the answer ended, read off its events: the last attempt's SQL and rows count."""

    sql: SqlEvent | None = None
    columns: list[str] = field(default_factory=list)
    row_count: int | None = None
    preview: list[list[Any]] = field(default_factory=list)
    clarify: str | None = None

    def see(self, event: StreamEvent) -> None:
        if isinstance(event, SqlEvent):
            self.sql, self.columns, self.row_count, self.preview = event, [], None, []
        elif isinstance(event, RowsEvent):
            if event.columns is not None:
                self.columns = [c.name for c in event.columns]
            self.row_count = event.row_count
            self.preview += event.rows[: PREVIEW_ROWS + 1 - len(self.preview)]
        elif isinstance(event, ClarifyEvent):
            self.clarify = event.question

    def turn(self, request_id: str, question: str) -> Turn:
        return Turn(
            question=question,
            request_id=request_id,
            sql=self.sql.sql if self.sql else None,
            valid=bool(self.sql and self.sql.valid),
            ran=self.row_count is not None,
            columns=tuple(self.columns),
            row_count=self.row_count,
            preview=tuple(tuple(r) for r in self.preview),
            clarify=self.clarify,
        )


async def recorded(
    answers: RecentAnswers,
    events: AsyncIterator[StreamEvent],
    request_id: str,
    question: str,
    conversation: Conversation | None = None,
) -> AsyncIterator[StreamEvent]:
    """Passes an answer's events on, then records the answer before the stream's `done`, so
    that feedback (or a follow-up) sent as soon as `done` arrives finds it."""
    outcome = _Outcome()
    async for event in events:
        outcome.see(event)
        yield event
    sql = outcome.sql.sql if outcome.sql else None
    try:
        async with asyncio.timeout(answers.limits.acquire_timeout):
            await answers.record(RecordedAnswer(request_id, question, sql))
            if conversation is not None:
                await conversation.store.add_turn(
                    conversation.id, conversation.owner, outcome.turn(request_id, question)
                )
    except Exception:
        # Recording is for later feedback and follow-ups: a failure never costs the answer.
        logger.warning("could not record the answer", exc_info=True)
