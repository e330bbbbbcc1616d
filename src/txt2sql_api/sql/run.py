"""Running SQL that passed the guard and EXPLAIN: its result streamed in batches, read through
a cursor so that a huge result costs no more memory than the row cap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg
from pydantic import BaseModel, Field

from txt2sql_api.sql.json_values import json_safe
from txt2sql_api.sql.transaction import QueryLimits, failure_of, read_only

if TYPE_CHECKING:
    from txt2sql_api.db.pool import ServicePool


class ResultColumn(BaseModel):
    name: str
    type: str = Field(description="PostgreSQL type name, e.g. int4, numeric, timestamptz, _text.")


@dataclass
class RowBatch:
    """Rows of a result as JSON values; the first batch carries the columns, the last is
    `final` and says whether the row or byte cap cut the result short."""

    rows: list[list[Any]]
    row_count: int
    final: bool = False
    truncated: bool = False
    columns: list[ResultColumn] | None = field(default=None)


async def run_query(pool: ServicePool, sql: str, limits: QueryLimits) -> AsyncIterator[RowBatch]:
    """Streams the result in batches; the last event is `final`. Cancelling the consumer
    cancels the query in the server (asyncpg sends a cancel request) and rolls back."""
    async with read_only(pool, limits) as conn:
        try:
            statement = await conn.prepare(sql)
            columns = [
                ResultColumn(name=attribute.name, type=attribute.type.name)
                for attribute in statement.get_attributes()
            ]
            first = True
            async for event in _batches(statement.cursor(prefetch=limits.batch_rows), limits):
                if first:
                    event.columns, first = columns, False
                yield event
        except asyncpg.PostgresError as exc:
            raise failure_of(exc) from exc


async def _batches(
    records: AsyncIterable[asyncpg.Record], limits: QueryLimits
) -> AsyncIterator[RowBatch]:
    batch: list[list[object]] = []
    sent = size = 0
    truncated = False
    async for record in records:
        row = [json_safe(value) for value in record.values()]
        size += len(json.dumps(row, ensure_ascii=False))
        if sent + len(batch) >= limits.max_rows or size > limits.max_bytes:
            truncated = True
            break
        batch.append(row)
        if len(batch) == limits.batch_rows:
            sent += len(batch)
            yield RowBatch(rows=batch, row_count=sent)
            batch = []
    yield RowBatch(rows=batch, row_count=sent + len(batch), final=True, truncated=truncated)
