"""One question, answered as a stream of typed events: schema → examples → prompt → model →
parser → guard → EXPLAIN → (on request) rows, with one bounded repair round when the database
refuses the SQL. Failures become `error` events; the router adds the final `done`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass

import asyncpg

from txt2sql_api.db import ServicePool
from txt2sql_api.events import (
    ErrorEvent,
    SqlEvent,
    StreamEvent,
    ThinkingEvent,
    UsageEvent,
)
from txt2sql_api.execute import DatabaseBusy, QueryFailed, QueryLimits, run_query
from txt2sql_api.llm import (
    DashScopeClient,
    ReasoningDelta,
    TextDelta,
    UpstreamError,
    Usage,
    missing_api_key,
)
from txt2sql_api.prompt import build_messages, repair_messages
from txt2sql_api.pruning import Pruned, SchemaBudget
from txt2sql_api.retrieval import ExampleRetriever, Scored
from txt2sql_api.schema_cache import SchemaCache
from txt2sql_api.shutdown import ShutdownSignal
from txt2sql_api.sql_verify import verify_sql
from txt2sql_api.stream_parser import SqlBlock, SqlStreamParser, ThinkingDelta

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)

# Guard findings that look like an attack rather than a mistake: never argued with the model.
HOSTILE_PROBLEMS = frozenset(
    {
        "statement_count",
        "not_read_only",
        "data_modifying_cte",
        "select_into",
        "locking_clause",
        "forbidden_function",
        "forbidden_table",
    }
)


def _error_event(exc: UpstreamError) -> ErrorEvent:
    return ErrorEvent(code=exc.code, message=exc.message, retryable=exc.retryable)


@dataclass
class _Attempt:
    """What one model call produced, and why the SQL failed if it did."""

    number: int
    answer: str = ""
    sql: SqlEvent | None = None
    failure: str | None = None
    repairable: bool = False


@dataclass
class Answerer:
    schema_cache: SchemaCache
    schema_budget: SchemaBudget
    retriever: ExampleRetriever
    llm: DashScopeClient
    pool: ServicePool
    limits: QueryLimits
    few_shot_k: int
    repair_rounds: int

    async def answer(
        self, question: str, *, execute: bool = False, shutdown: ShutdownSignal | None = None
    ) -> AsyncIterator[StreamEvent]:
        if not self.llm.api_key:
            # Before the database is read: the missing key is the thing to fix first.
            yield _error_event(missing_api_key())
            return
        try:
            known, pruned, examples = await self._context(question)
            messages = build_messages(question, pruned.schema_text, examples)
            for number in range(1, self.repair_rounds + 2):
                attempt = _Attempt(number)
                async for event in self._attempt(messages, known, attempt, execute, shutdown):
                    yield event
                failure = attempt.failure if attempt.repairable else None
                if failure is None or number > self.repair_rounds:
                    return
                messages = repair_messages(messages, attempt.answer, failure)
        except UpstreamError as exc:
            yield _error_event(exc)
        except DatabaseBusy as exc:
            yield ErrorEvent(code="database_busy", message=str(exc), retryable=True)
        except DATABASE_ERRORS as exc:
            logger.warning("database unavailable: %s", exc)
            yield ErrorEvent(
                code="database_unavailable",
                message=f"the database cannot be read right now: {type(exc).__name__}",
                retryable=True,
            )

    async def _context(
        self, question: str
    ) -> tuple[frozenset[tuple[str, str]], Pruned, list[Scored]]:
        """Every table the service shows (the guard's list), the ones the question needs (the
        prompt's), and the most similar examples."""
        schema = await self.schema_cache.get()
        known = schema.snapshot.names()
        pruned = schema.index.select(question, self.schema_budget, explain=False)
        examples = await self.retriever.top_k(question, self.few_shot_k)
        return known, pruned, examples

    async def _attempt(
        self,
        messages: list[dict[str, str]],
        known: Collection[tuple[str, str]],
        attempt: _Attempt,
        execute: bool,
        shutdown: ShutdownSignal | None,
    ) -> AsyncIterator[StreamEvent]:
        async for event in self._generate(messages, known, attempt, shutdown):
            yield event
        if attempt.sql is None:
            yield ErrorEvent(
                code="no_sql", message="the model answered without a ```sql block", retryable=True
            )
        elif attempt.sql.valid and execute:
            async for event in self._run(attempt.sql.sql, attempt):
                yield event

    async def _generate(
        self,
        messages: list[dict[str, str]],
        known: Collection[tuple[str, str]],
        attempt: _Attempt,
        shutdown: ShutdownSignal | None,
    ) -> AsyncIterator[StreamEvent]:
        parser = SqlStreamParser()
        usage: Usage | None = None
        async for chunk in self.llm.stream(messages, shutdown):
            if isinstance(chunk, ReasoningDelta):
                yield ThinkingEvent(delta=chunk.text, attempt=attempt.number)
            elif isinstance(chunk, TextDelta):
                attempt.answer += chunk.text
                for parsed in parser.feed(chunk.text):
                    if event := await self._event_for(parsed, known, attempt):
                        yield event
            else:
                usage = chunk
        for parsed in parser.finish():
            if event := await self._event_for(parsed, known, attempt):
                yield event
        if usage is not None:
            yield UsageEvent(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
                model=self.llm.model,
                request_id=usage.request_id,
                attempt=attempt.number,
            )

    async def _event_for(
        self,
        parsed: ThinkingDelta | SqlBlock,
        known: Collection[tuple[str, str]],
        attempt: _Attempt,
    ) -> StreamEvent | None:
        if isinstance(parsed, ThinkingDelta):
            return ThinkingEvent(delta=parsed.text, attempt=attempt.number)
        if attempt.sql is not None:
            # The prompt asks for one block; a second one is the model thinking aloud.
            logger.info("ignoring an extra sql block from the model")
            return None
        attempt.sql = await self._checked(parsed, known, attempt)
        return attempt.sql

    async def _checked(
        self, block: SqlBlock, known: Collection[tuple[str, str]], attempt: _Attempt
    ) -> SqlEvent:
        verified = await verify_sql(block.sql, known, self.pool, self.limits)
        if verified.failure is not None:
            attempt.failure = verified.failure.message
            attempt.repairable = verified.failure.repairable
        elif not verified.check.valid:
            codes = {problem.code for problem in verified.check.problems}
            attempt.failure = "; ".join(problem.message for problem in verified.check.problems)
            attempt.repairable = not codes & HOSTILE_PROBLEMS
        problems = verified.problems
        return SqlEvent(
            sql=block.sql,
            valid=not problems,
            problems=problems,
            tables=verified.check.tables,
            complete=block.closed,
            attempt=attempt.number,
        )

    async def _run(self, sql: str, attempt: _Attempt) -> AsyncIterator[StreamEvent]:
        rows_sent = False
        try:
            async for rows in run_query(self.pool, sql, self.limits):
                rows.attempt = attempt.number
                rows_sent = True
                yield rows
        except QueryFailed as failure:
            # Once rows have gone out, a second answer would contradict them: no repair.
            attempt.failure = failure.message
            attempt.repairable = failure.repairable and not rows_sent
            yield ErrorEvent(
                code=failure.code, message=failure.message, retryable=attempt.repairable
            )
