"""Running SQL that passed the guard and EXPLAIN: its result streamed in batches, read through
a cursor so that a huge result costs no more memory than the row cap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import asyncpg

from txt2sql_api.sql.json_values import json_safe
from txt2sql_api.sql.outcome import ResultColumn
from txt2sql_api.sql.transaction import Deadline, QueryLimits, failure_of, read_only

if TYPE_CHECKING:
    from asyncpg.cursor import Cursor

    from txt2sql_api.db.pool import ServicePool


@dataclass
class RowBatch:
    """Rows of a result as JSON values; the first batch carries the columns, the last is
    `final` and says whether the row or byte cap cut the result short."""

    rows: list[list[Any]]
    row_count: int
    final: bool = False
    truncated: bool = False
    columns: list[ResultColumn] | None = field(default=None)
    # Of the first batch: each numeric column's most digits after the point, by position.
    scales: dict[int, int] = field(default_factory=dict)


# What the service pulls over the wire is bounded inside the SQL, whatever the rows' width:
# a row wider than the byte cap comes back as NULL, and rows stop once the ones before them
# have used the cap (the row that crosses it still comes, so the cut is seen). One fetch thus
# holds at most twice `max_bytes` of row text, plus one row's width of framing.
_BOUNDED = """
SELECT x.*, w.width <= $1, w.running
FROM (
    SELECT q, width, sum(width) OVER (ROWS UNBOUNDED PRECEDING) AS running
    FROM (SELECT q, octet_length(q::text) AS width FROM ({sql}) AS q OFFSET 0) AS measured
) AS w
LEFT JOIN LATERAL (SELECT (w.q).*) AS x ON w.width <= $1
WHERE w.running - w.width < $1
LIMIT $2
"""


def _bounded(sql: str) -> str:
    # A trailing `;` or comment would end the subquery early: the parser saw one statement.
    return _BOUNDED.format(sql=sql.rstrip().rstrip(";") + "\n")


async def run_query(
    pool: ServicePool, sql: str, limits: QueryLimits, deadline: Deadline | None = None
) -> AsyncIterator[RowBatch]:
    """Streams the result in batches; the last one is `final`. Every fetch runs under the
    query's deadline; cancelling the consumer cancels the query in the server and rolls back."""
    deadline = deadline or Deadline(limits.statement_timeout_seconds)
    async with read_only(pool, limits, deadline) as conn:
        try:
            bounded = await deadline.within(conn.prepare(_bounded(sql)))
            columns = [
                ResultColumn(name=attribute.name, type=attribute.type.name)
                for attribute in bounded.get_attributes()[:-2]  # the last two are the bounds'
            ]
            cursor = await deadline.within(bounded.cursor(limits.max_bytes, limits.max_rows + 1))
            first = True
            async for batch in _batches(cursor, limits, deadline):
                if first:
                    batch.columns, first = _with_scales(columns, batch.scales), False
                yield batch
        except asyncpg.PostgresError as exc:
            raise failure_of(exc) from exc


async def _records(
    cursor: Cursor[asyncpg.Record], limits: QueryLimits, deadline: Deadline
) -> AsyncIterator[tuple[tuple[object, ...] | None, int]]:
    while True:
        records = await deadline.within(cursor.fetch(limits.batch_rows))
        for record in records:
            *values, fits, running = record.values()
            yield (tuple(values) if fits else None), running
        if len(records) < limits.batch_rows:
            return


async def _batches(
    cursor: Cursor[asyncpg.Record], limits: QueryLimits, deadline: Deadline
) -> AsyncIterator[RowBatch]:
    batch: list[list[object]] = []
    sent = size = 0
    truncated = False
    scales: dict[int, int] = {}
    async for values, running in _records(cursor, limits, deadline):
        if values is None or running > limits.max_bytes:
            truncated = True  # a row too wide, or the SQL-side byte cap reached
        if values is None:
            break
        if sent == 0:
            _note_scales(values, scales)
        row = [json_safe(value) for value in values]
        size += len(json.dumps(row, ensure_ascii=False))
        if sent + len(batch) >= limits.max_rows or size > limits.max_bytes:
            truncated = True
            break
        batch.append(row)
        if len(batch) == limits.batch_rows:
            first = sent == 0
            sent += len(batch)
            yield RowBatch(rows=batch, row_count=sent, scales=scales if first else {})
            batch = []
    final = RowBatch(rows=batch, row_count=sent + len(batch), final=True, truncated=truncated)
    if sent == 0:
        final.scales = scales
    yield final


def _note_scales(values: Sequence[object], scales: dict[int, int]) -> None:
    """JSON numbers lose a numeric's trailing zeros; its Decimal still has them (asyncpg reads
    the text PostgreSQL sends, which a numeric(10,2) pads to 2 places)."""
    for index, value in enumerate(values):
        if isinstance(value, Decimal) and value.is_finite():
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int):
                scales[index] = max(scales.get(index, 0), -exponent)


def _with_scales(columns: list[ResultColumn], scales: dict[int, int]) -> list[ResultColumn]:
    return [
        column.model_copy(update={"scale": scales[i]}) if i in scales else column
        for i, column in enumerate(columns)
    ]
