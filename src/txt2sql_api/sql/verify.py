"""SQL checked by both layers before anyone relies on it: the guard (`guard`) and then the
database's planner (`EXPLAIN` in the read-only transaction with the statement timeout). The
model's SQL in an answer and a user's SQL in a taught example go through the same checks."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

import asyncpg

from txt2sql_api.background import off_loop
from txt2sql_api.db.pool import ServicePool
from txt2sql_api.sql.guard import SqlCheck, Visible, check_sql
from txt2sql_api.sql.outcome import SqlProblem
from txt2sql_api.sql.transaction import (
    Deadline,
    QueryFailed,
    QueryLimits,
    failure_of,
    read_only,
)

KnownTables = Collection[tuple[str, str]]


async def explain(
    pool: ServicePool, sql: str, limits: QueryLimits, deadline: Deadline | None = None
) -> None:
    """Plans the SQL without running it; raises QueryFailed with the database's reason.
    Planning is work too (constant expressions are evaluated): it runs under the deadline."""
    deadline = deadline or Deadline(limits.statement_timeout_seconds)
    async with read_only(pool, limits, deadline) as conn:
        try:
            statement = await deadline.within(conn.prepare(f"EXPLAIN {sql}"))
            await deadline.within(statement.fetch())
        except asyncpg.PostgresError as exc:
            raise failure_of(exc) from exc


@dataclass(frozen=True)
class Verified:
    check: SqlCheck
    failure: QueryFailed | None = None

    @property
    def problems(self) -> list[SqlProblem]:
        found = list(self.check.problems)
        if self.failure is not None:
            found.append(SqlProblem(code=self.failure.code, message=self.failure.message))
        return found


# Longest the guard may take on one SQL text (in a worker thread, never on the event loop).
CHECK_SECONDS = 2.0


async def check_off_loop(sql: str, visible: Visible | KnownTables, max_chars: int) -> SqlCheck:
    """The guard in a worker thread: parsing is CPU work that must not stall other requests."""
    work = off_loop(check_sql, sql, visible, max_chars=max_chars)
    try:
        return await asyncio.wait_for(work, CHECK_SECONDS)
    except TimeoutError:
        message = f"the SQL took longer than {CHECK_SECONDS:g} s to check; write it simpler"
        return SqlCheck(valid=False, problems=[SqlProblem(code="too_complex", message=message)])


async def verify_sql(
    sql: str,
    visible: Visible | KnownTables,
    pool: ServicePool,
    limits: QueryLimits,
    deadline: Deadline | None = None,
) -> Verified:
    """The guard's findings; when it finds none, the planner's refusal if any."""
    check = await check_off_loop(sql, visible, limits.max_sql_chars)
    if not check.valid:
        return Verified(check)
    try:
        await explain(pool, sql, limits, deadline)
    except QueryFailed as failure:
        return Verified(check, failure)
    return Verified(check)


class PassedSql:
    """SQL texts that passed both checks against one view of the schema, so that the same text
    again (a popular question, a verified example's SQL) is neither parsed nor planned again.

    Only passes are kept: a refusal may be the database's passing state (a timeout, a lock),
    and a refused text is rare enough to check again. A new view (a new schema snapshot) forgets
    them all, so a pass lasts no longer than the snapshot that the guard checked it against."""

    def __init__(self, pool: ServicePool, limits: QueryLimits, size: int = 1024) -> None:
        self.pool = pool
        self.limits = limits
        self.size = size
        self._view: object = None
        self._passed: OrderedDict[str, Verified] = OrderedDict()

    async def verify(
        self, sql: str, visible: Visible | KnownTables, deadline: Deadline | None = None
    ) -> Verified:
        if visible is not self._view:
            self._view = visible
            self._passed.clear()
        if (passed := self._passed.get(sql)) is not None:
            self._passed.move_to_end(sql)
            return passed
        verified = await verify_sql(sql, visible, self.pool, self.limits, deadline)
        # The view may have changed while the database planned it.
        if not verified.problems and visible is self._view:
            self._passed[sql] = verified
            if len(self._passed) > self.size:
                self._passed.popitem(last=False)
        return verified


@dataclass(frozen=True)
class SqlVerifier:
    """Checks SQL against what the service shows now."""

    pool: ServicePool
    limits: QueryLimits
    visible: Callable[[], Awaitable[Visible | KnownTables]]

    async def problems(self, sql: str) -> list[SqlProblem]:
        verified = await verify_sql(sql, await self.visible(), self.pool, self.limits)
        return verified.problems
