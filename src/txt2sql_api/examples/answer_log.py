"""The recent answers, kept so that feedback can name one by its request id: the question and
the SQL the answer ended with. The table is bounded by age and by count, pruned as answers are
recorded (at most once a minute per instance).

Answers that end while an earlier write is on its way are written together, in one INSERT: under
load one pooled connection serves a batch, not one answer each, and a lone answer never waits
for company."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Literal

import asyncpg

from txt2sql_api.config import Settings
from txt2sql_api.db.meta_schema import MetaTables, S

logger = logging.getLogger(__name__)

Verdict = Literal["up", "down"]
PRUNE_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class RecordedAnswer:
    request_id: str
    question: str
    sql: str | None


@dataclass(frozen=True)
class AnswerLimits:
    keep_seconds: float
    keep_max: int
    acquire_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> AnswerLimits:
        return cls(
            settings.answers_keep_seconds,
            settings.answers_keep_max,
            settings.db_acquire_timeout_seconds,
        )


class RecentAnswers:
    def __init__(self, pool: asyncpg.Pool, limits: AnswerLimits) -> None:
        self._execute = MetaTables(pool, limits.acquire_timeout).fetch
        self.limits = limits
        self._pruned_at: float | None = None
        self._waiting: list[tuple[RecordedAnswer, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, answer: RecordedAnswer) -> None:
        """Returns once the answer is stored (with the others of its batch)."""
        written = asyncio.get_running_loop().create_future()
        self._waiting.append((answer, written))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        await written

    async def _write_batches(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._insert([answer for answer, _ in batch])
                except Exception as exc:
                    for _, written in batch:
                        if not written.done():
                            written.set_exception(exc)
                    continue
                for _, written in batch:
                    if not written.done():
                        written.set_result(None)
                await self._prune_now_and_then()
        finally:
            self._writer = None

    async def _insert(self, answers: list[RecordedAnswer]) -> None:
        await self._execute(
            f"""
            INSERT INTO {S}.answers (request_id, question, sql)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
            ON CONFLICT (request_id) DO NOTHING
            """,
            [answer.request_id for answer in answers],
            [answer.question for answer in answers],
            [answer.sql for answer in answers],
        )

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self._pruned_at = now
            try:
                await self.prune()
            except Exception:
                logger.warning("could not prune the recent answers", exc_info=True)

    async def prune(self) -> None:
        await self._execute(
            f"""
            DELETE FROM {S}.answers
            WHERE created_at < now() - make_interval(secs => $1)
               OR created_at < (SELECT created_at FROM {S}.answers
                                ORDER BY created_at DESC OFFSET $2 - 1 LIMIT 1)
            """,
            self.limits.keep_seconds,
            self.limits.keep_max,
        )

    async def get(self, request_id: str) -> RecordedAnswer | None:
        """The answer, unless it is older than the age limit (pruned or not yet)."""
        rows = await self._execute(
            f"""
            SELECT request_id, question, sql FROM {S}.answers
            WHERE request_id = $1 AND created_at >= now() - make_interval(secs => $2)
            """,
            request_id,
            self.limits.keep_seconds,
        )
        return RecordedAnswer(**dict(rows[0])) if rows else None

    async def set_feedback(
        self,
        request_id: str,
        verdict: Verdict,
        corrected_sql: str | None,
        example_id: int | None,
    ) -> None:
        await self._execute(
            f"""
            UPDATE {S}.answers
            SET verdict = $2, corrected_sql = $3, example_id = $4, feedback_at = now()
            WHERE request_id = $1
            """,
            request_id,
            verdict,
            corrected_sql,
            example_id,
        )
