"""One question, answered as a stream of typed events: schema → examples → prompt → model →
parser → checked SQL. Failures become `error` events; the router adds the final `done`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from txt2sql_api.events import ErrorEvent, SqlEvent, StreamEvent, ThinkingEvent, UsageEvent
from txt2sql_api.introspect import SchemaCache, SchemaSnapshot
from txt2sql_api.llm import DashScopeClient, ReasoningDelta, TextDelta, UpstreamError, Usage
from txt2sql_api.prompt import build_messages
from txt2sql_api.retrieval import ExampleRetriever, Scored
from txt2sql_api.sql_check import check_sql
from txt2sql_api.stream_parser import SqlBlock, SqlStreamParser, ThinkingDelta

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


@dataclass
class Answerer:
    schema_cache: SchemaCache
    retriever: ExampleRetriever
    llm: DashScopeClient
    few_shot_k: int

    async def answer(self, question: str) -> AsyncIterator[StreamEvent]:
        if not self.llm.api_key:
            yield ErrorEvent(
                code="missing_api_key",
                message="DASHSCOPE_API_KEY is not set: put it in the environment or .env "
                "and restart the service.",
            )
            return
        try:
            schema, examples = await self._context(question)
        except DATABASE_ERRORS as exc:
            logger.warning("database unavailable: %s", exc)
            yield ErrorEvent(
                code="database_unavailable",
                message=f"the database cannot be read right now: {type(exc).__name__}",
                retryable=True,
            )
            return
        try:
            async for event in self._generate(build_messages(question, schema, examples)):
                yield event
        except UpstreamError as exc:
            yield ErrorEvent(code=exc.code, message=exc.message, retryable=exc.retryable)

    async def _context(self, question: str) -> tuple[SchemaSnapshot, list[Scored]]:
        schema = await self.schema_cache.get()
        examples = await self.retriever.top_k(question, self.few_shot_k)
        return schema, examples

    async def _generate(self, messages: list[dict[str, str]]) -> AsyncIterator[StreamEvent]:
        parser = SqlStreamParser()
        answered = False
        usage: Usage | None = None
        async for chunk in self.llm.stream(messages):
            if isinstance(chunk, ReasoningDelta):
                yield ThinkingEvent(delta=chunk.text)
            elif isinstance(chunk, TextDelta):
                for parsed in parser.feed(chunk.text):
                    event = self._event_for(parsed, answered)
                    answered = answered or isinstance(event, SqlEvent)
                    if event is not None:
                        yield event
            else:
                usage = chunk
        for parsed in parser.finish():
            event = self._event_for(parsed, answered)
            answered = answered or isinstance(event, SqlEvent)
            if event is not None:
                yield event
        if not answered:
            yield ErrorEvent(
                code="no_sql", message="the model answered without a ```sql block", retryable=True
            )
        if usage is not None:
            yield UsageEvent(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                total_tokens=usage.total_tokens,
                model=self.llm.model,
                request_id=usage.request_id,
            )

    @staticmethod
    def _event_for(parsed: ThinkingDelta | SqlBlock, answered: bool) -> StreamEvent | None:
        if isinstance(parsed, ThinkingDelta):
            return ThinkingEvent(delta=parsed.text) if parsed.text else None
        if answered:
            # The prompt asks for one block; a second one is the model thinking aloud.
            logger.info("ignoring an extra sql block from the model")
            return None
        check = check_sql(parsed.sql)
        return SqlEvent(
            sql=parsed.sql,
            valid=check.valid,
            problems=check.problems,
            tables=check.tables,
            complete=parsed.closed,
        )
