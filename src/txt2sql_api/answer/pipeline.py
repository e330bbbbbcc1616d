"""One question, answered as a stream of typed events: schema → examples → prompt → model →
parser → guard → EXPLAIN → (on request) rows, with one bounded repair round when the database
refuses the SQL. Failures become `error` events; the router adds the final `done`."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Collection
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from txt2sql_api.answer.charts import ChartRows, choose_chart
from txt2sql_api.answer.dates import DateRange, render_dates, resolve_dates
from txt2sql_api.answer.events import (
    AnswerEvent,
    ClarifyEvent,
    ContextDate,
    ContextEvent,
    ContextExample,
    ContextTable,
    ContextTerm,
    ContextValue,
    ErrorEvent,
    RowsEvent,
    SqlEvent,
    StreamEvent,
    ThinkingEvent,
    UsageEvent,
)
from txt2sql_api.answer.fence_parser import ClarifyBlock, SqlBlock, SqlStreamParser
from txt2sql_api.answer.prompt import build_messages, render_glossary, repair_messages
from txt2sql_api.answer.reuse import ReusePolicy, reuse_note
from txt2sql_api.answer.summary import summary_messages
from txt2sql_api.background import off_loop
from txt2sql_api.conversations.history import History
from txt2sql_api.db.pool import DATABASE_ERRORS, ServicePool, database_unavailable
from txt2sql_api.errors import ServiceError
from txt2sql_api.examples.retriever import ExampleRetriever, Scored
from txt2sql_api.glossary.index import Found, Glossary
from txt2sql_api.llm.base import (
    LlmChunk,
    LlmClient,
    Messages,
    ReasoningDelta,
    TextDelta,
    Usage,
)
from txt2sql_api.schema.cache import SchemaCache
from txt2sql_api.schema.introspect import SchemaSnapshot
from txt2sql_api.schema.pruning import Pruned, SchemaBudget
from txt2sql_api.shutdown import ShutdownSignal
from txt2sql_api.sql.guard import Visible, tables_known, tables_of
from txt2sql_api.sql.run import RowBatch, run_query
from txt2sql_api.sql.transaction import Deadline, QueryFailed, QueryLimits
from txt2sql_api.sql.verify import PassedSql

logger = logging.getLogger(__name__)


def guard_view(
    snapshot: SchemaSnapshot, limits: QueryLimits, allowed_functions: Collection[str]
) -> Visible:
    """What the guard checks names against, for this schema snapshot and the pinned path."""
    return Visible(
        tables=snapshot.names(),
        schemas=limits.search_path,
        relations=snapshot.relations,
        functions=snapshot.function_names,
        allowed_functions=frozenset(allowed_functions),
    )


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


def error_event(error: ServiceError) -> ErrorEvent:
    return ErrorEvent(code=error.code, message=error.message, retryable=error.retryable)


@dataclass(frozen=True)
class Failure:
    """Why an attempt's SQL did not succeed, and whether the model may be asked to fix it."""

    message: str
    repairable: bool


@dataclass(frozen=True)
class AttemptResult:
    """What one model call produced: its whole text (for a repair prompt), its SQL, and why
    that SQL failed if it did."""

    answer: str
    sql: SqlEvent | None
    failure: Failure | None = None
    # Started when the SQL's EXPLAIN starts; its rows run under the same one.
    deadline: Deadline | None = None
    # The model's question back, when it asked one instead of writing SQL.
    clarify: str | None = None


@dataclass(frozen=True)
class QuestionContext:
    """Everything the model is shown besides the rules and the question."""

    known: Visible
    pruned: Pruned
    examples: list[Scored]
    terms: list[Found]
    dates: list[DateRange]
    today: date

    def event(self, number: int) -> ContextEvent:
        selection = self.pruned.selection
        return ContextEvent(
            tables=[
                ContextTable(
                    table=c.table,
                    score=c.score,
                    reasons=c.reasons,
                    columns_left_out=c.columns_left_out,
                )
                for c in selection.tables
                if c.sent
            ],
            values=[ContextValue(value=v.value, columns=v.columns) for v in selection.values],
            dates=[ContextDate(text=d.text, start=d.start, end=d.end) for d in self.dates],
            glossary=[
                ContextTerm(
                    term=f.term.term,
                    matched=f.matched,
                    meaning=f.term.meaning,
                    sql=f.term.sql,
                    tables=f.term.tables,
                )
                for f in self.terms
            ],
            examples=[
                ContextExample(
                    id=s.example.id, question=s.example.question, score=round(s.score, 3)
                )
                for s in self.examples
            ],
            schema_tokens=selection.schema_tokens,
            attempt=number,
        )


@dataclass(frozen=True)
class _Run:
    """What the caller asked for beyond the SQL, and the signal that ends the stream early."""

    execute: bool
    summarize: bool
    shutdown: ShutdownSignal | None


@dataclass(frozen=True)
class _Reused:
    context: QuestionContext
    sql: SqlEvent
    deadline: Deadline


def repair_reason(result: AttemptResult, number: int, rounds: int) -> str | None:
    """The failure to show the model in one more round, or None when no round follows: no
    failure, one the model cannot fix (an attack, a timeout, rows already sent), or the
    rounds are spent."""
    failure = result.failure
    if failure is None or not failure.repairable or number > rounds:
        return None
    return failure.message


@dataclass
class Answerer:
    schema_cache: SchemaCache
    schema_budget: SchemaBudget
    retriever: ExampleRetriever
    glossary: Glossary
    llm: LlmClient
    pool: ServicePool
    limits: QueryLimits
    few_shot_k: int
    repair_rounds: int
    allowed_functions: Collection[str] = ()
    timezone: str = "Asia/Shanghai"
    reuse: ReusePolicy = field(default_factory=ReusePolicy)
    # A `chart` event after the last rows batch, when a rule fits the result.
    charts: bool = True
    # Told when a verified example's SQL no longer checks (its id, why): it is flagged.
    on_stale: Callable[[int, str], Awaitable[None]] | None = None
    # One guard view per schema snapshot: the passes of `PassedSql` last as long as it does.
    _view: tuple[SchemaSnapshot, Visible] | None = field(default=None, init=False, repr=False)
    _passed: PassedSql = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._passed = PassedSql(self.pool, self.limits)

    def _guard_view(self, snapshot: SchemaSnapshot) -> Visible:
        if self._view is None or self._view[0] is not snapshot:
            self._view = (snapshot, guard_view(snapshot, self.limits, self.allowed_functions))
        return self._view[1]

    async def answer(
        self,
        question: str,
        *,
        execute: bool = False,
        summarize: bool = False,
        shutdown: ShutdownSignal | None = None,
        history: History | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Every failure ends here, as one `error` event. `summarize` (with `execute`): a
        short answer in words after the rows, from a second model call."""
        run = _Run(execute, summarize and execute, shutdown)
        try:
            if history is None and self.reuse.enabled:
                reused = await self._reused(question)
                if reused is not None:
                    async for event in self._from_example(question, reused, run):
                        yield event
                    return
            if unusable := self.llm.unusable():
                yield error_event(unusable)
                return
            async for event in self._rounds(question, run, history):
                yield event
        except ServiceError as exc:
            yield error_event(exc)
        except DATABASE_ERRORS as exc:
            logger.warning("database unavailable: %s", exc)
            yield error_event(database_unavailable(exc))

    async def _rounds(
        self, question: str, run: _Run, history: History | None
    ) -> AsyncIterator[StreamEvent]:
        context = await self.context(question, history=history)
        messages = build_messages(
            question,
            context.pruned.schema_text,
            context.examples,
            render_dates(context.dates, context.today) if context.dates else "",
            render_glossary(context.terms),
            history.prompt_block() if history else "",
        )
        for number in range(1, self.repair_rounds + 2):
            # Told just before the attempt's first event: a model call that fails before it
            # says anything ends with its error alone.
            told: ContextEvent | None = context.event(number)
            result = AttemptResult("", None)
            attempt = self._attempt(question, messages, context.known, number, run)
            async for item in attempt:
                if isinstance(item, AttemptResult):
                    result = item
                    continue
                if told is not None:
                    yield told
                    told = None
                yield item
            reason = repair_reason(result, number, self.repair_rounds)
            if reason is None:
                return
            messages = repair_messages(messages, result.answer, reason)

    async def context(
        self, question: str, *, explain: bool = False, history: History | None = None
    ) -> QuestionContext:
        """What the guard checks against, the most similar examples, the glossary terms and
        dates the question uses, and the tables it needs (the prompt's), which the examples'
        SQL and the glossary terms steer. A follow-up is linked together with the earlier
        questions, and their SQL's tables join its candidates. `explain`: with each table's
        term reasons."""
        schema = await self.schema_cache.get()
        known = self._guard_view(schema.snapshot)
        linking = history.linking_text(question) if history else question
        examples = await self.retriever.top_k(linking, self.few_shot_k)
        if all(tables_known(scored.example.sql) for scored in examples):
            tables = _example_tables(examples)
        else:  # a new example's SQL is parsed once, off the event loop
            tables = await off_loop(_example_tables, examples)
        terms = self.glossary.find(linking)
        hints = [found.hint() for found in terms]
        if history is not None:
            known_sql = all(tables_known(t.sql) for t in history.turns if t.sql)
            # SQL answered on another instance is parsed here once, off the event loop.
            hints.append(history.hint() if known_sql else await off_loop(history.hint))
        today = datetime.now(ZoneInfo(self.timezone)).date()
        dates = resolve_dates(question, today)
        pruned = schema.index.select(
            linking,
            self.schema_budget,
            explain=explain,
            example_tables=tables,
            hints=hints,
            dated=bool(dates),
        )
        return QuestionContext(known, pruned, examples, terms, dates, today)

    async def _reused(self, question: str) -> _Reused | None:
        """The verified example the question matches, when its SQL still checks against the
        schema; a stale one is reported and the model answers instead."""
        match = self.reuse.match(question, await self.retriever.top_k(question, 1))
        if match is None:
            return None
        context = await self.context(question)
        deadline = Deadline(self.limits.statement_timeout_seconds)
        sql, failure = await self._checked(SqlBlock(match.example.sql), context.known, 1, deadline)
        if failure is not None or not sql.valid:
            reason = failure.message if failure else "; ".join(p.message for p in sql.problems)
            logger.warning("verified example %d is stale: %s", match.example.id, reason)
            if self.on_stale is not None:
                await self.on_stale(match.example.id, reason)
            return None
        sql = sql.model_copy(update={"source": "example", "example_id": match.example.id})
        return _Reused(context, sql, deadline)

    async def _from_example(
        self, question: str, reused: _Reused, run: _Run
    ) -> AsyncIterator[StreamEvent]:
        assert reused.sql.example_id is not None
        yield reused.context.event(1)
        yield ThinkingEvent(delta=reuse_note(question, reused.sql.example_id), attempt=1)
        yield reused.sql
        if run.execute:
            async for outcome in self._results(question, reused.sql.sql, 1, reused.deadline, run):
                if not isinstance(outcome, Failure):
                    yield outcome

    async def _attempt(
        self,
        question: str,
        messages: Messages,
        known: Visible,
        number: int,
        run: _Run,
    ) -> AsyncIterator[StreamEvent | AttemptResult]:
        """The attempt's events, then its result (last, and never sent to the client)."""
        result = AttemptResult("", None)
        async for item in self._generate(messages, known, number, run.shutdown):
            if isinstance(item, AttemptResult):
                result = item
            else:
                yield item
        if result.sql is None and result.clarify is not None:
            yield _clarify_event(result.clarify, number)
        elif result.sql is None:
            yield ErrorEvent(
                code="no_sql", message="the model answered without a ```sql block", retryable=True
            )
        elif result.sql.valid and run.execute:
            sql = result.sql.sql
            async for outcome in self._results(question, sql, number, result.deadline, run):
                if isinstance(outcome, Failure):
                    result = replace(result, failure=outcome)
                else:
                    yield outcome
        yield result

    async def _generate(
        self, messages: Messages, known: Visible, number: int, shutdown: ShutdownSignal | None
    ) -> AsyncIterator[StreamEvent | AttemptResult]:
        answer = ""
        sql: SqlEvent | None = None
        failure: Failure | None = None
        usage: Usage | None = None
        deadline: Deadline | None = None
        clarify: str | None = None
        async with aclosing(_parsed(self.llm.stream(messages, shutdown))) as pieces:
            async for piece in pieces:
                if isinstance(piece, TextDelta):
                    answer += piece.text
                elif isinstance(piece, ReasoningDelta):
                    # One per model chunk, of values already typed: built without validation.
                    yield ThinkingEvent.model_construct(delta=piece.text, attempt=number)
                elif isinstance(piece, Usage):
                    usage = piece
                elif isinstance(piece, ClarifyBlock):
                    clarify = clarify or piece.text
                elif sql is None:
                    deadline = Deadline(self.limits.statement_timeout_seconds)
                    sql, failure = await self._checked(piece, known, number, deadline)
                    yield sql
                else:
                    # The prompt asks for one block; a second one is the model thinking aloud.
                    logger.info("ignoring an extra sql block from the model")
        if usage is not None:
            yield self._usage_event(usage, number, "sql")
        yield AttemptResult(answer, sql, failure, deadline, clarify)

    def _usage_event(
        self, usage: Usage, number: int, call: Literal["sql", "summary"]
    ) -> UsageEvent:
        return UsageEvent(
            call=call,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            total_tokens=usage.total_tokens,
            model=self.llm.model,
            request_id=usage.request_id,
            attempt=number,
        )

    async def _checked(
        self, block: SqlBlock, known: Visible, number: int, deadline: Deadline
    ) -> tuple[SqlEvent, Failure | None]:
        verified = await self._passed.verify(block.sql, known, deadline)
        failure: Failure | None = None
        if verified.failure is not None:
            failure = Failure(verified.failure.message, verified.failure.repairable)
        elif not verified.check.valid:
            codes = {problem.code for problem in verified.check.problems}
            message = "; ".join(problem.message for problem in verified.check.problems)
            failure = Failure(message, repairable=not codes & HOSTILE_PROBLEMS)
        problems = verified.problems
        event = SqlEvent(
            sql=block.sql,
            valid=not problems,
            problems=problems,
            tables=verified.check.tables,
            complete=block.closed,
            attempt=number,
        )
        return event, failure

    async def _results(
        self, question: str, sql: str, number: int, deadline: Deadline | None, run: _Run
    ) -> AsyncIterator[StreamEvent | Failure]:
        """The rows, their chart and their summary, or an `error` event and the failure."""
        rows_sent = False
        kept = ChartRows()
        try:
            async for batch in run_query(self.pool, sql, self.limits, deadline):
                rows_sent = True
                if self.charts or run.summarize:
                    kept.add(batch.columns, batch.rows, batch.truncated)
                yield _rows_event(batch, number)
        except QueryFailed as failed:
            # Once rows have gone out, a second answer would contradict them: no repair.
            repairable = failed.repairable and not rows_sent
            yield ErrorEvent(code=failed.code, message=failed.message, retryable=repairable)
            yield Failure(failed.message, repairable)
            return
        if self.charts:
            chart = choose_chart(
                kept.columns, kept.rows, question, truncated=kept.truncated, attempt=number
            )
            if chart is not None:
                yield chart
        if run.summarize and kept.rows:
            async for event in self._summary(question, sql, kept, number, run.shutdown):
                yield event

    async def _summary(
        self,
        question: str,
        sql: str,
        kept: ChartRows,
        number: int,
        shutdown: ShutdownSignal | None,
    ) -> AsyncIterator[StreamEvent]:
        """The model's short answer in words, streamed; its reasoning is not shown (the user
        asked for the answer, not how it was worded)."""
        messages = summary_messages(
            question, sql, kept.columns, kept.rows, truncated=kept.truncated
        )
        async with aclosing(self.llm.stream(messages, shutdown)) as pieces:
            async for piece in pieces:
                if isinstance(piece, TextDelta):
                    yield AnswerEvent.model_construct(delta=piece.text, attempt=number)
                elif isinstance(piece, Usage):
                    yield self._usage_event(piece, number, "summary")


def _clarify_event(text: str, number: int) -> ClarifyEvent:
    """The block's JSON `{"question", "options"?}`, or its plain text as the question."""
    try:
        asked = json.loads(text)
    except ValueError:
        asked = None
    if isinstance(asked, dict) and isinstance(asked.get("question"), str):
        options = asked.get("options")
        if not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
            options = None
        return ClarifyEvent(question=asked["question"], options=options or None, attempt=number)
    return ClarifyEvent(question=text, attempt=number)


async def _parsed(
    chunks: AsyncIterator[LlmChunk],
) -> AsyncGenerator[LlmChunk | SqlBlock | ClarifyBlock, None]:
    """The model's stream with its answer text also split by the fence parser: the text as it
    came (for the whole answer), then its reasoning (as `ReasoningDelta`) and SQL blocks."""
    parser = SqlStreamParser()
    async for chunk in chunks:
        yield chunk
        if isinstance(chunk, TextDelta):
            for piece in parser.feed(chunk.text):
                yield piece
    for piece in parser.finish():
        yield piece


def _example_tables(examples: list[Scored]) -> list[tuple[str, float]]:
    """Each table of the examples' SQL, with the similarity of the example that names it."""
    return [(t, scored.score) for scored in examples for t in tables_of(scored.example.sql)]


def _rows_event(batch: RowBatch, number: int) -> RowsEvent:
    return RowsEvent(
        columns=batch.columns,
        rows=batch.rows,
        row_count=batch.row_count,
        final=batch.final,
        truncated=batch.truncated,
        attempt=number,
    )
