"""The bigger schema-linking quality set: generated business schemas of other domains than the
demo's metro, each with its DDL and data, a glossary of business terms, and questions in
Chinese with their gold SQL and what each needs to be linked right.

Each question's `needs` says why linking it is hard, so that recall can be read per cause:
a word the schema does not use (one of `SYNONYM_GROUPS`), a glossary term, a relative date, a
database value, or a join.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from txt2sql_api.schema.synonyms import GROUPS

NEEDS = frozenset({"synonym", "glossary", "date", "value", "join", "plain"})

# A question needing "synonym" uses a word of one of the service's built-in synonym groups
# that its tables' names and comments do not.
SYNONYM_GROUPS = GROUPS


@dataclass(frozen=True)
class QualityQuestion:
    question: str
    sql: str
    needs: frozenset[str]

    def __post_init__(self) -> None:
        unknown = self.needs - NEEDS
        if not self.needs or unknown:
            raise ValueError(f"{self.question}: needs {sorted(self.needs)}")
        if "plain" in self.needs and len(self.needs) > 1:
            raise ValueError(f"{self.question}: plain needs nothing else")


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    synonyms: tuple[str, ...]
    meaning: str
    # An SQL expression over the columns of `tables`, qualified by table name; None when the
    # term has no single expression.
    sql: str | None
    tables: tuple[str, ...]


@dataclass(frozen=True)
class QualitySchema:
    name: str
    ddl: str
    glossary: tuple[GlossaryTerm, ...]
    questions: tuple[QualityQuestion, ...]


def ask(question: str, needs: str, sql: str) -> QualityQuestion:
    """A question whose needs are written as words: `ask("…", "synonym join", "SELECT …")`."""
    return QualityQuestion(question, sql, frozenset(needs.split()))


def _parse(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="postgres")


def gold_tables(sql: str) -> frozenset[str]:
    """The tables (bare names) an SQL reads; CTE names and table functions are not tables."""
    tree = _parse(sql)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(
        table.name
        for table in tree.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier) and table.name not in ctes
    )


def _source(scope: Scope | None, name: str) -> object:
    # A correlated subquery's column names a source of an enclosing scope.
    while scope is not None:
        if name in scope.sources:
            return scope.sources[name]
        scope = scope.parent
    return None


def gold_columns(sql: str, ddl_tables: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The `table.column` pairs (bare table names) an SQL reads, `SELECT *` expanded.

    Raises when a column does not resolve to a column of `ddl_tables`, so that a gold SQL's
    every column is known to be real. Columns of CTEs and derived tables count where those
    read them; columns of table functions (generate_series) are not table columns.
    """
    tree = _parse(sql)
    for table in tree.find_all(exp.Table):
        # The mapping is by bare name: a schema-qualified name must find it too.
        table.set("db", None)
        table.set("catalog", None)
    mapping = {name: dict.fromkeys(columns, "text") for name, columns in ddl_tables.items()}
    qualified = qualify(tree, schema=mapping, dialect="postgres", validate_qualify_columns=True)
    found: set[str] = set()
    for scope in traverse_scope(qualified):
        for column in scope.columns:
            source = _source(scope, column.table)
            if isinstance(source, Scope):
                continue
            if not isinstance(source, exp.Table):
                raise ValueError(f"column {column.sql()} of no known source in {sql}")
            if not isinstance(source.this, exp.Identifier):
                continue
            if column.name not in ddl_tables.get(source.name, ()):
                raise ValueError(f"{source.name}.{column.name} is no column of the schema")
            found.add(f"{source.name}.{column.name}")
    return frozenset(found)


# The schema modules build their data with the classes above, so they come after them.
from tests.helpers.quality import hr_finance, retail  # noqa: E402

SCHEMAS: tuple[QualitySchema, ...] = (retail.SCHEMA, hr_finance.SCHEMA)
