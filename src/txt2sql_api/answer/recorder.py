"""Each answer kept for feedback: its question and final SQL, recorded as the stream ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from txt2sql_api.answer.events import SqlEvent, StreamEvent
from txt2sql_api.examples.answer_log import RecentAnswers, RecordedAnswer

logger = logging.getLogger(__name__)


async def recorded(
    answers: RecentAnswers, events: AsyncIterator[StreamEvent], request_id: str, question: str
) -> AsyncIterator[StreamEvent]:
    """Passes an answer's events on, then records the answer before the stream's `done`, so
    that feedback sent as soon as `done` arrives finds it."""
    sql: str | None = None
    async for event in events:
        if isinstance(event, SqlEvent):
            sql = event.sql
        yield event
    try:
        async with asyncio.timeout(answers.limits.acquire_timeout):
            await answers.record(RecordedAnswer(request_id, question, sql))
    except Exception:
        # Recording is for later feedback: a failure never costs the answer itself.
        logger.warning("could not record the answer for feedback", exc_info=True)
