"""Checks on model-written SQL before anyone sees it as an answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from txt2sql_api.events import SqlProblem

_READ_ONLY_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)


@dataclass
class SqlCheck:
    valid: bool
    problems: list[SqlProblem] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def _problem(code: str, message: str) -> SqlCheck:
    return SqlCheck(valid=False, problems=[SqlProblem(code=code, message=message)])


def check_sql(sql: str) -> SqlCheck:
    """Parses with PostgreSQL's dialect; a statement that does not parse is never let through."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except ParseError as exc:
        return _problem("parse_error", str(exc).splitlines()[0])
    if len(statements) != 1:
        return _problem("statement_count", f"expected one statement, found {len(statements)}")
    (statement,) = statements
    if not isinstance(statement, _READ_ONLY_ROOTS):
        return _problem("not_read_only", f"{statement.key.upper()} is not a read-only query")
    ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    tables = sorted(
        {
            ".".join(part for part in (t.db, t.name) if part)
            for t in statement.find_all(exp.Table)
            if t.name and t.name not in ctes
        }
    )
    return SqlCheck(valid=True, tables=tables)
