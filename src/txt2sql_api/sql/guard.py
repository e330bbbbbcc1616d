"""Parser-level guard for model-written SQL.

The model's SQL is untrusted input: only one read-only query over the tables the service may show
passes. The database role and a read-only transaction stay the last line of defence; this check
exists so that hostile or careless SQL is refused with a reason before it reaches the server.

Problem codes (an API, keep the names): `parse_error`, `statement_count`, `not_read_only`,
`data_modifying_cte`, `select_into`, `locking_clause`, `forbidden_function`, `forbidden_table`,
`unknown_table`. A statement sqlglot only understands by its first keyword (its `exp.Command`
fallback: DO, CALL, EXPLAIN, VACUUM, LOCK, PREPARE, SHOW, ...) is reported as `not_read_only`.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

from txt2sql_api.sql import functions
from txt2sql_api.sql.outcome import SqlProblem

_POSTGRES = Dialect.get_or_raise("postgres")

_READ_ROOTS = (exp.Select, exp.SetOperation, exp.Values)

# PostgreSQL folds unquoted identifiers to lower case, and only ASCII letters.
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


@dataclass(frozen=True)
class Visible:
    """What names in the SQL may resolve to, as PostgreSQL resolves them under the pinned
    `search_path` (pg_catalog, then the shown `schemas` in order): the tables shown; every
    relation of those schemas, hidden ones included, so that a bare name is checked against
    the table PostgreSQL would really pick; the names of the functions those schemas define
    (they are not the built-ins they may shadow); and the functions the operator allowed."""

    tables: Collection[tuple[str, str]]
    schemas: Sequence[str] = ()
    relations: Collection[tuple[str, str]] = frozenset()
    functions: Collection[str] = frozenset()
    allowed_functions: Collection[str] = frozenset()


@dataclass
class SqlCheck:
    valid: bool
    problems: list[SqlProblem] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def check_sql(
    sql: str,
    known: Collection[tuple[str, str]] | Visible | None = None,
    *,
    max_chars: int | None = None,
) -> SqlCheck:
    """Parses with PostgreSQL's dialect and reports every problem found.

    `known` holds the (schema, table) pairs the service may show, or all a `Visible` says;
    None skips the table check. A statement that does not parse is never let through, nor one
    longer than `max_chars`.
    """
    if max_chars is not None and len(sql) > max_chars:
        return SqlCheck(
            valid=False,
            problems=[_problem("too_long", f"the SQL has {len(sql)} characters, over {max_chars}")],
        )
    visible = known if isinstance(known, Visible) else Visible(known or ())
    try:
        statements = _parse(sql)
    except SqlglotError as exc:
        return _parse_failure(str(exc).partition("\n")[0] or type(exc).__name__)
    except RecursionError:
        # Deep nesting exhausts sqlglot's recursive-descent parser.
        return _parse_failure("the statement is nested too deeply to parse")
    problems: list[SqlProblem] = []
    if len(statements) != 1:
        problems.append(
            _problem("statement_count", f"expected one statement, found {len(statements)}")
        )
    tables: set[tuple[str, ...]] = set()
    for statement in statements:
        problems.extend(_statement_problems(statement, visible))
        tables.update(_table_references(statement))
    problems.extend(_table_problems(tables, visible if known is not None else None))
    problems = _unique(problems)
    return SqlCheck(
        valid=not problems, problems=problems, tables=sorted(".".join(t) for t in tables)
    )


def _problem(code: str, message: str) -> SqlProblem:
    return SqlProblem(code=code, message=message)


def _parse_failure(message: str) -> SqlCheck:
    return SqlCheck(valid=False, problems=[_problem("parse_error", message)])


def _unique(problems: list[SqlProblem]) -> list[SqlProblem]:
    # The same call or table written twice is one problem; first-seen order is kept.
    return list({(problem.code, problem.message): problem for problem in problems}.values())


def _parse(sql: str) -> list[exp.Expr]:
    tokens = _POSTGRES.tokenize(sql)
    if _has_unicode_identifier(tokens):
        # sqlglot reads U&"..." as `U & "..."`, so U&"\0070g_sleep"(1) would hide pg_sleep.
        raise ParseError('unicode-escaped identifiers (U&"...") are not supported')
    # A lone `;` with a trailing comment comes back as an exp.Semicolon: no statement.
    return [
        statement
        for statement in _POSTGRES.parser().parse(tokens, sql)
        if statement is not None and not isinstance(statement, exp.Semicolon)
    ]


def _has_unicode_identifier(tokens: list[Token]) -> bool:
    return any(
        first.text.upper() == "U"
        and amp.token_type is TokenType.AMP
        and quoted.token_type is TokenType.IDENTIFIER
        and amp.start == first.end + 1
        and quoted.start == amp.end + 1
        for first, amp, quoted in zip(tokens, tokens[1:], tokens[2:], strict=False)
    )


def _statement_problems(statement: exp.Expr, visible: Visible) -> Iterator[SqlProblem]:
    if not _is_read_query(statement):
        yield _problem(
            "not_read_only",
            "only SELECT, WITH … SELECT, UNION/INTERSECT/EXCEPT and VALUES may run; "
            f"found {_kind(statement)}",
        )
    for node in statement.walk():
        yield from _node_problems(node, visible, is_root=node is statement)


def _node_problems(node: exp.Expr, visible: Visible, *, is_root: bool) -> Iterator[SqlProblem]:
    if isinstance(node, exp.DML) and not is_root:
        yield _problem("data_modifying_cte", f"{_kind(node)} inside a query modifies data")
    elif _is_non_read_cte(node):
        yield _problem("not_read_only", f"WITH {node.alias_or_name} holds {_kind(node.this)}")
    elif isinstance(node, exp.Into):
        yield _problem("select_into", "SELECT … INTO creates a table")
    elif isinstance(node, exp.Lock):
        yield _problem("locking_clause", "FOR UPDATE/SHARE locks rows, which needs write access")
    elif isinstance(node, exp.Func):
        yield from _function_problems(node, visible)
    elif isinstance(node, exp.DataType):
        yield from _type_problems(node)
    elif isinstance(node, exp.Operator):
        yield _problem("forbidden_function", "OPERATOR(...) may name a user-defined operator")
    elif _is_session_keyword(node):
        yield _problem(
            "forbidden_function", f"{node.name.lower()} is not allowed: it tells the session's role"
        )


def _is_non_read_cte(node: exp.Expr) -> bool:
    # sqlglot parses any statement inside WITH x AS (...): DROP, COMMIT, VACUUM, ...; a DML body
    # is reported as data_modifying_cte instead.
    return (
        isinstance(node, exp.CTE)
        and not isinstance(node.this, exp.DML)
        and not _is_read_query(node.this)
    )


def _is_read_query(node: exp.Expr) -> bool:
    inner = node.unnest() if isinstance(node, exp.Subquery) else node
    return isinstance(inner, _READ_ROOTS)


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return node.key.upper()


def _function_problems(func: exp.Func, visible: Visible) -> Iterator[SqlProblem]:
    # Operators (AND, ||, LIKE, @>, ...) resolve to the built-ins with pg_catalog searched first.
    if isinstance(func, _SYNTAX):
        return
    name, schema = _function_name(func)
    written = f"{schema}.{name}" if schema else name
    if written in visible.allowed_functions or (
        not schema and any(f"{s}.{name}" in visible.allowed_functions for s in visible.schemas)
    ):
        return
    if schema not in (None, "pg_catalog") or name not in functions.ALLOWED:
        yield _problem(
            "forbidden_function",
            f"{written}() is not allowed: only the built-in functions of analytic SQL are "
            "(README: SQL safety); an operator may allow others (TXT2SQL_ALLOWED_FUNCTIONS)",
        )
    elif schema is None and name in visible.functions:
        yield _problem(
            "forbidden_function",
            f"{name}() is also defined in a shown schema, so it may not be the built-in; "
            f"write pg_catalog.{name}() for the built-in",
        )
    elif name in functions.BOUNDED:
        yield from _bound_problems(name, func)


# Expressions that sqlglot models as functions but that are syntax, not a call: operators,
# casts (their type is checked), CASE, ARRAY[...], EXISTS, ANY/ALL, intervals.
_SYNTAX = (
    exp.Binary,
    exp.Unary,
    exp.Connector,
    exp.Predicate,
    exp.Cast,
    exp.Case,
    exp.If,
    exp.Array,
    exp.Exists,
    exp.Any,
    exp.All,
    exp.Interval,
    exp.Collate,
    exp.Bracket,
)


def _function_name(func: exp.Func) -> tuple[str, str | None]:
    """The name PostgreSQL will call, and the schema it is qualified with (None: bare)."""
    if isinstance(func, exp.Anonymous):
        name = func.name.translate(_FOLD)
    else:
        name = _TYPED.get(type(func), func.sql_name().lower())
    parent = func.parent
    if isinstance(parent, exp.Dot) and parent.expression is func:
        qualifier = parent.this
        schema = qualifier.name if isinstance(qualifier, exp.Expr) else str(qualifier)
        return name, schema.translate(_FOLD)
    return name, None


def _typed_functions() -> dict[type[exp.Expr], str]:
    """sqlglot's class for each allowed name it knows (`lower` → exp.Lower): a typed node is
    allowed by its class. A class that a forbidden name also parses to is never in here."""
    typed: dict[type[exp.Expr], str] = {}
    for name in sorted(functions.ALLOWED):
        for form in (name, f"{name}()", f"{name}(1)", f"{name}(1, 1)", f"{name}('a', 1, 1)"):
            try:
                sql = f"SELECT {form}"
                node = _POSTGRES.parser().parse(_POSTGRES.tokenize(sql), sql)[0]
            except SqlglotError:
                continue
            selected = node.expressions[0] if node and node.expressions else None
            if isinstance(selected, exp.Func) and not isinstance(selected, exp.Anonymous):
                typed.setdefault(type(selected), name)
    return typed


_TYPED = _typed_functions()


def _bound_problems(name: str, func: exp.Func) -> Iterator[SqlProblem]:
    """repeat, lpad and rpad make as many characters as their count argument says, and
    generate_series as many rows as its bounds: both must be literals within the limits.
    current_setting reads only the settings of how values are shown."""
    arguments = [func.this, *func.expressions] if func.this is not None else func.expressions
    arguments = [
        a
        for a in (
            *arguments,
            *(v for k, v in func.args.items() if k not in ("this", "expressions")),
        )
        if isinstance(a, exp.Expr)
    ]
    if name in ("repeat", "lpad", "rpad"):
        count = _literal_number(
            func.args.get("times") or func.args.get("length") or func.expression
        )
        if count is None or count > functions.MAX_TEXT_CHARS:
            yield _problem(
                "forbidden_function",
                f"{name}() needs a literal length of at most {functions.MAX_TEXT_CHARS}",
            )
    elif name == "current_setting":
        setting = func.expressions[0] if func.expressions else func.this
        if not (
            isinstance(setting, exp.Literal)
            and setting.is_string
            and setting.this.lower() in functions.READABLE_SETTINGS
        ):
            yield _problem(
                "forbidden_function",
                "current_setting() may only read how values are shown: "
                + ", ".join(sorted(functions.READABLE_SETTINGS)),
            )
    elif name == "generate_series":
        rows = _series_rows(func)
        if rows is None or rows > functions.MAX_SERIES_ROWS:
            yield _problem(
                "forbidden_function",
                "generate_series() needs literal bounds that make at most "
                f"{functions.MAX_SERIES_ROWS} rows",
            )


def _literal_number(node: object) -> float | None:
    if isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Neg):
        inner = _literal_number(node.this)
        return None if inner is None else -inner
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return float(node.this)
        except ValueError:
            return None
    return None


def _series_rows(func: exp.Func) -> float | None:
    start = _literal_number(func.args.get("start"))
    end = _literal_number(func.args.get("end"))
    step_node = func.args.get("step")
    step = 1.0 if step_node is None else _literal_number(step_node)
    if start is not None and end is not None and step:
        return max(0.0, (end - start) / step + 1)
    return _date_series_rows(func)


def _date_series_rows(func: exp.Func) -> float | None:
    start, end = _literal_date(func.args.get("start")), _literal_date(func.args.get("end"))
    step = _interval_seconds(func.args.get("step"))
    if start is None or end is None or not step:
        return None
    return max(0.0, (end - start).total_seconds() / step + 1)


def _literal_date(node: object) -> datetime | None:
    if isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        try:
            return datetime.fromisoformat(node.this)
        except ValueError:
            return None
    return None


_UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 28 * 86400,  # the shortest: the count is an upper bound
    "year": 365 * 86400,
}


def _interval_seconds(node: object) -> float | None:
    if isinstance(node, exp.Cast):
        node = node.this
    text: str | None = None
    if isinstance(node, exp.Interval):
        unit = node.args.get("unit")
        text = f"{node.this.name} {unit.name if unit is not None else ''}"
    elif isinstance(node, exp.Literal) and node.is_string:
        text = node.this
    if text is None:
        return None
    parts = text.lower().split()
    if len(parts) != 2:
        return None
    amount, unit = parts
    unit = unit.rstrip("s")
    try:
        seconds = float(amount) * _UNIT_SECONDS[unit]
    except (ValueError, KeyError):
        return None
    return seconds if seconds > 0 else None


def _type_problems(node: exp.DataType) -> Iterator[SqlProblem]:
    # reg* types turn names into oids: a cast probes for tables and functions it may not see.
    if isinstance(node, exp.ObjectIdentifier) or node.sql("postgres").lower().startswith(
        ("reg", "pg_")
    ):
        yield _problem(
            "forbidden_function",
            f"a cast to {node.sql('postgres')} looks up the catalog, which is not shown",
        )


# Keywords sqlglot reads as columns, which PostgreSQL reads as the session's role or database
# (a column of that name would have to be quoted).
_SESSION_KEYWORDS = frozenset({"user", "current_role", "current_catalog"})


def _is_session_keyword(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Column)
        and not node.table
        and isinstance(node.this, exp.Identifier)
        and not node.this.quoted
        and node.name.lower() in _SESSION_KEYWORDS
    )


def _table_references(statement: exp.Expr) -> Iterator[tuple[str, ...]]:
    """Yields each table as its normalized name parts; CTE references and functions are skipped."""
    scopes = _CteScopes()
    for table in statement.find_all(exp.Table):
        identifiers = [part for part in table.parts if isinstance(part, exp.Identifier)]
        if not identifiers or len(identifiers) != len(table.parts):
            continue  # a function in FROM (pg_sleep(1), generate_series(...)): the function rule
        names = tuple(_normalize(identifier) for identifier in identifiers)
        if len(names) == 1 and scopes.refers_to_cte(table, names[0]):
            continue
        yield names


def _normalize(identifier: exp.Identifier) -> str:
    return identifier.name if identifier.quoted else identifier.name.translate(_FOLD)


class _CteScopes:
    """Follows PostgreSQL's scoping, so `WITH pg_authid AS (SELECT * FROM pg_authid) ...` still
    sees the catalog inside the CTE: a CTE is visible in its query's body, in later siblings, and
    with RECURSIVE in every sibling including itself; outer queries' CTEs are visible too.

    Each WITH's names and positions are indexed once, so a check is linear in the SQL's size
    (looking them up anew for every table was quadratic: 2,500 CTEs took seconds)."""

    def __init__(self) -> None:
        self._indexed: dict[int, tuple[dict[int, int], dict[str, int]]] = {}

    def refers_to_cte(self, table: exp.Table, name: str) -> bool:
        child: exp.Expr = table
        parent = table.parent
        while parent is not None:
            if self._visible(parent, child, name):
                return True
            child, parent = parent, parent.parent
        return False

    def _visible(self, parent: exp.Expr, child: exp.Expr, name: str) -> bool:
        if isinstance(parent, exp.With):
            positions, names = self._index(parent)
            index = names.get(name)
            return index is not None and (parent.recursive or index < positions.get(id(child), 0))
        with_ = parent.args.get("with_")
        return isinstance(with_, exp.With) and with_ is not child and name in self._index(with_)[1]

    def _index(self, with_: exp.With) -> tuple[dict[int, int], dict[str, int]]:
        key = id(with_)
        if key not in self._indexed:
            positions = {id(cte): i for i, cte in enumerate(with_.expressions)}
            names: dict[str, int] = {}
            for i, cte in enumerate(with_.expressions):
                alias = cte.args.get("alias")
                if isinstance(alias, exp.TableAlias) and isinstance(alias.this, exp.Identifier):
                    names.setdefault(_normalize(alias.this), i)
            self._indexed[key] = (positions, names)
        return self._indexed[key]


def _table_problems(tables: set[tuple[str, ...]], visible: Visible | None) -> Iterator[SqlProblem]:
    known_names = {name for _, name in visible.tables} if visible else set()
    for parts in sorted(tables):
        written = ".".join(parts)
        if _is_forbidden_table(parts):
            yield _problem("forbidden_table", f"{written} is a system catalog, not business data")
        elif visible is not None and not _is_known(parts, visible, known_names):
            yield _problem("unknown_table", f"{written} is not a known table")


def _is_forbidden_table(parts: tuple[str, ...]) -> bool:
    # Catalogs hold password hashes (pg_authid, pg_shadow, pg_user_mappings), other sessions'
    # queries (pg_stat_activity) and server files (pg_hba_file_rules). Unqualified pg_* names are
    # refused too: pg_catalog is searched first, and every relation in it is named pg_*.
    lowered = [part.lower() for part in parts]
    if len(lowered) == 1:
        return lowered[0].startswith("pg_")
    schema = lowered[-2]
    return schema == "information_schema" or schema.startswith("pg_")


def _is_known(parts: tuple[str, ...], visible: Visible, known_names: set[str]) -> bool:
    if len(parts) == 2:
        return (parts[0], parts[1]) in visible.tables
    if len(parts) != 1:
        return False
    if not visible.schemas:
        return parts[0] in known_names
    # As the pinned search_path resolves it: the first shown schema with a relation of that
    # name, shown or hidden, is the one PostgreSQL reads.
    for schema in visible.schemas:
        if (schema, parts[0]) in visible.relations or (schema, parts[0]) in visible.tables:
            return (schema, parts[0]) in visible.tables
    return False


# The tables of SQL texts seen: the same verified examples come back question after question.
_TABLES_OF: dict[str, tuple[str, ...]] = {}
_TABLES_OF_KEPT = 4096


def tables_of(sql: str) -> tuple[str, ...]:
    """The tables a SQL text reads, as written (CTEs left out); none when it does not parse."""
    found = _TABLES_OF.get(sql)
    if found is None:
        found = _tables_in(sql)
        if len(_TABLES_OF) >= _TABLES_OF_KEPT:
            _TABLES_OF.clear()
        _TABLES_OF[sql] = found
    return found


def tables_known(sql: str) -> bool:
    """Whether `tables_of(sql)` is at hand, with no parsing to do."""
    return sql in _TABLES_OF


def _tables_in(sql: str) -> tuple[str, ...]:
    try:
        statements = _parse(sql)
    except (SqlglotError, RecursionError):
        return ()
    found = {".".join(parts) for statement in statements for parts in _table_references(statement)}
    return tuple(sorted(found))
