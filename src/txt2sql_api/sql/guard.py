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
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.tokenizer_core import Token, TokenType


class SqlProblem(BaseModel):
    """Why a SQL text is not run: a stable `code` and a message for people (and the model)."""

    code: str
    message: str


_POSTGRES = Dialect.get_or_raise("postgres")

_READ_ROOTS = (exp.Select, exp.SetOperation, exp.Values)

# PostgreSQL folds unquoted identifiers to lower case, and only ASCII letters.
_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

# Why each family is refused, then the lower-cased name prefixes that make it up. Prefixes catch
# whole families (pg_ls_dir, pg_ls_logdir, ...) and future members; the schema is ignored, so
# pg_catalog.pg_sleep and a look-alike in another schema are both refused.
_FORBIDDEN_FUNCTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("it sleeps while holding a connection", ("pg_sleep",)),
    (
        "it reads or writes the server's file system",
        ("pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_ls_", "pg_logdir_ls"),
    ),
    ("it writes the server's file system (adminpack)", ("pg_file_",)),
    ("it moves large objects between server files and tables", ("lo_", "loread", "lowrite")),
    ("it connects to other servers and runs SQL there", ("dblink",)),
    (
        "it runs SQL given as text, which this check never sees",
        (
            "query_to_xml",
            "cursor_to_xml",
            "table_to_xml",
            "schema_to_xml",
            "database_to_xml",
            "ts_stat",
            "ts_rewrite",
        ),
    ),
    ("it changes server settings", ("set_config", "pg_reload_conf")),
    (
        "it signals server processes or other sessions",
        (
            "pg_cancel_backend",
            "pg_terminate_backend",
            "pg_rotate_logfile",
            "pg_promote",
            "pg_log_backend_memory_contexts",
        ),
    ),
    ("it takes locks that outlive the query", ("pg_advisory_", "pg_try_advisory_")),
    (
        "it controls WAL, backups or replication",
        (
            "pg_switch_wal",
            "pg_switch_xlog",
            "pg_create_",
            "pg_drop_replication_slot",
            "pg_copy_",
            "pg_backup_",
            "pg_start_backup",
            "pg_stop_backup",
            "pg_logical_",
            "pg_replication_",
            "pg_wal_replay_",
        ),
    ),
    (
        "it writes although it is called from a SELECT",
        (
            "nextval",
            "setval",
            "pg_notify",
            "txid_current",
            "pg_current_xact_id",
            "pg_import_system_collations",
            "pg_stat_reset",
        ),
    ),
    (
        "it shows other sessions' queries or server configuration files",
        (
            "pg_stat_get_activity",
            "pg_stat_get_backend_",
            "pg_show_all_file_settings",
            "pg_hba_file_rules",
            "pg_ident_file_mappings",
        ),
    ),
)


@dataclass
class SqlCheck:
    valid: bool
    problems: list[SqlProblem] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def check_sql(sql: str, known_tables: Collection[tuple[str, str]] | None = None) -> SqlCheck:
    """Parses with PostgreSQL's dialect and reports every problem found.

    `known_tables` holds the (schema, table) pairs the service may show; None skips that check.
    A statement that does not parse is never let through.
    """
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
        problems.extend(_statement_problems(statement))
        tables.update(_table_references(statement))
    problems.extend(_table_problems(tables, known_tables))
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


def _statement_problems(statement: exp.Expr) -> Iterator[SqlProblem]:
    if not _is_read_query(statement):
        yield _problem(
            "not_read_only",
            "only SELECT, WITH … SELECT, UNION/INTERSECT/EXCEPT and VALUES may run; "
            f"found {_kind(statement)}",
        )
    for node in statement.walk():
        yield from _node_problems(node, is_root=node is statement)


def _node_problems(node: exp.Expr, *, is_root: bool) -> Iterator[SqlProblem]:
    if isinstance(node, exp.DML) and not is_root:
        yield _problem("data_modifying_cte", f"{_kind(node)} inside a query modifies data")
    elif _is_non_read_cte(node):
        yield _problem("not_read_only", f"WITH {node.alias_or_name} holds {_kind(node.this)}")
    elif isinstance(node, exp.Into):
        yield _problem("select_into", "SELECT … INTO creates a table")
    elif isinstance(node, exp.Lock):
        yield _problem("locking_clause", "FOR UPDATE/SHARE locks rows, which needs write access")
    elif isinstance(node, exp.Func):
        yield from _function_problems(node)


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


def _function_problems(func: exp.Func) -> Iterator[SqlProblem]:
    # Functions sqlglot does not know are exp.Anonymous; known ones are named by their class.
    name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
    for reason, prefixes in _FORBIDDEN_FUNCTIONS:
        if name.startswith(prefixes):
            yield _problem("forbidden_function", f"{name}() is not allowed: {reason}")


def _table_references(statement: exp.Expr) -> Iterator[tuple[str, ...]]:
    """Yields each table as its normalized name parts; CTE references and functions are skipped."""
    for table in statement.find_all(exp.Table):
        identifiers = [part for part in table.parts if isinstance(part, exp.Identifier)]
        if not identifiers or len(identifiers) != len(table.parts):
            continue  # a function in FROM (pg_sleep(1), generate_series(...)): the function rule
        names = tuple(_normalize(identifier) for identifier in identifiers)
        if len(names) == 1 and _refers_to_cte(table, names[0]):
            continue
        yield names


def _normalize(identifier: exp.Identifier) -> str:
    return identifier.name if identifier.quoted else identifier.name.translate(_FOLD)


def _refers_to_cte(table: exp.Table, name: str) -> bool:
    """Follows PostgreSQL's scoping, so `WITH pg_authid AS (SELECT * FROM pg_authid) ...` still
    sees the catalog inside the CTE: a CTE is visible in its query's body, in later siblings, and
    with RECURSIVE in every sibling including itself; outer queries' CTEs are visible too."""
    child: exp.Expr = table
    parent = table.parent
    while parent is not None:
        if name in _cte_names(_visible_ctes(parent, child)):
            return True
        child, parent = parent, parent.parent
    return False


def _visible_ctes(parent: exp.Expr, child: exp.Expr) -> list[exp.Expr]:
    if isinstance(parent, exp.With):
        ctes: list[exp.Expr] = parent.expressions
        if parent.recursive:
            return ctes
        position = next((i for i, cte in enumerate(ctes) if cte is child), 0)
        return ctes[:position]
    with_ = parent.args.get("with_")
    return with_.expressions if isinstance(with_, exp.With) and with_ is not child else []


def _cte_names(ctes: list[exp.Expr]) -> set[str]:
    aliases = (cte.args.get("alias") for cte in ctes)
    return {
        _normalize(alias.this)
        for alias in aliases
        if isinstance(alias, exp.TableAlias) and isinstance(alias.this, exp.Identifier)
    }


def _table_problems(
    tables: set[tuple[str, ...]], known_tables: Collection[tuple[str, str]] | None
) -> Iterator[SqlProblem]:
    known_names = {name for _, name in known_tables or ()}
    for parts in sorted(tables):
        written = ".".join(parts)
        if _is_forbidden_table(parts):
            yield _problem("forbidden_table", f"{written} is a system catalog, not business data")
        elif known_tables is not None and not _is_known(parts, known_tables, known_names):
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


def _is_known(
    parts: tuple[str, ...], known_tables: Collection[tuple[str, str]], known_names: set[str]
) -> bool:
    if len(parts) == 1:
        return parts[0] in known_names
    return len(parts) == 2 and (parts[0], parts[1]) in known_tables
