"""SQL checked by both layers before anyone relies on it: the guard (`guard`) and then the
database's planner (`EXPLAIN` in the read-only transaction with the statement timeout). The
model's SQL in an answer and a user's SQL in a taught example go through the same checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

import asyncpg

from txt2sql_api.db.pool import ServicePool
from txt2sql_api.sql.guard import SqlCheck, SqlProblem, check_sql
from txt2sql_api.sql.transaction import QueryFailed, QueryLimits, failure_of, read_only

KnownTables = Collection[tuple[str, str]]


async def explain(pool: ServicePool, sql: str, limits: QueryLimits) -> None:
    """Plans the SQL without running it; raises QueryFailed with the database's reason."""
    async with read_only(pool, limits) as conn:
        try:
            statement = await conn.prepare(f"EXPLAIN {sql}")
            await statement.fetch()
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


async def verify_sql(
    sql: str, known: KnownTables, pool: ServicePool, limits: QueryLimits
) -> Verified:
    """The guard's findings; when it finds none, the planner's refusal if any."""
    check = check_sql(sql, known)
    if not check.valid:
        return Verified(check)
    try:
        await explain(pool, sql, limits)
    except QueryFailed as failure:
        return Verified(check, failure)
    return Verified(check)


@dataclass(frozen=True)
class SqlVerifier:
    """Checks SQL against the tables the service shows now."""

    pool: ServicePool
    limits: QueryLimits
    known_tables: Callable[[], Awaitable[KnownTables]]

    async def problems(self, sql: str) -> list[SqlProblem]:
        verified = await verify_sql(sql, await self.known_tables(), self.pool, self.limits)
        return verified.problems
