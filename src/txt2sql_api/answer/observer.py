"""Watches one answer's events as they pass, for the metrics and for the one summary log line
per answered question: time to the first event, tokens, SQL problems and the outcome."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from txt2sql_api.answer.events import ErrorEvent, RowsEvent, SqlEvent, StreamEvent, UsageEvent
from txt2sql_api.observability.metrics import Metrics

logger = logging.getLogger("txt2sql_api.answers")

# Error codes of the model call (docs/api.md, Errors).
_UPSTREAM_CODES = frozenset({"content_rejected"})
_UPSTREAM_PREFIX = "upstream_"


def is_upstream(code: str) -> bool:
    return code.startswith(_UPSTREAM_PREFIX) or code in _UPSTREAM_CODES


@dataclass
class _Answer:
    """What the events of one answer said so far."""

    started: float = field(default_factory=time.perf_counter)
    first_event: float | None = None
    outcome: str = "no_answer"
    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    attempts: int = 0
    rows: int = 0

    def record(self, event: StreamEvent) -> None:
        if isinstance(event, SqlEvent):
            self.attempts = max(self.attempts, event.attempt)
            self.outcome = "ok" if event.valid else "invalid_sql"
        elif isinstance(event, RowsEvent):
            self.rows = event.row_count
        elif isinstance(event, UsageEvent):
            self.model = event.model
            self.input_tokens += event.input_tokens
            self.output_tokens += event.output_tokens
        elif isinstance(event, ErrorEvent):
            self.outcome = event.code


class AnswerObserver:
    def __init__(self, metrics: Metrics, *, model: str, log_questions: bool) -> None:
        self.metrics = metrics
        self.model = model
        self.log_questions = log_questions

    async def watch(
        self, events: AsyncIterator[StreamEvent], question: str
    ) -> AsyncIterator[StreamEvent]:
        answer = _Answer()
        self.metrics.live_streams.inc()
        try:
            async for event in events:
                if answer.first_event is None:
                    answer.first_event = time.perf_counter()
                    self.metrics.first_event.observe(answer.first_event - answer.started)
                answer.record(event)
                self._count(event)
                yield event
        except (asyncio.CancelledError, GeneratorExit):
            answer.outcome = "client_gone"
            raise
        except Exception:
            answer.outcome = "internal_error"
            raise
        finally:
            self.metrics.live_streams.dec()
            self._finish(answer, question)

    def _count(self, event: StreamEvent) -> None:
        m = self.metrics
        if isinstance(event, SqlEvent):
            m.answers_by_source.labels(event.source).inc()
            if event.source == "example":
                m.model_calls_saved.inc()
            for problem in event.problems:
                m.sql_rejected.labels(problem.code).inc()
        elif isinstance(event, UsageEvent):
            m.tokens.labels(event.model, "input").inc(event.input_tokens)
            m.tokens.labels(event.model, "output").inc(event.output_tokens)
        elif isinstance(event, ErrorEvent) and is_upstream(event.code):
            m.upstream_errors.labels(event.code).inc()

    def _finish(self, answer: _Answer, question: str) -> None:
        total = time.perf_counter() - answer.started
        self.metrics.answers.labels(answer.outcome).inc()
        self.metrics.answer_time.observe(total)
        fields: dict[str, object] = {
            "question_chars": len(question),
            "model": answer.model or self.model,
            "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens,
            "first_event_ms": _ms(answer.first_event - answer.started)
            if answer.first_event is not None
            else None,
            "total_ms": _ms(total),
            "attempts": answer.attempts,
            "rows": answer.rows,
            "outcome": answer.outcome,
        }
        if self.log_questions:
            fields["question"] = question
        logger.info("answered: %s", answer.outcome, extra={"fields": fields})


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
