"""The parser-level guard on model-written SQL (txt2sql_api.sql.guard)."""

from __future__ import annotations

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp

from tests.helpers.attacks import ATTACKS, SAFE
from txt2sql_api.sql.guard import check_sql

DEMO_TABLES = {("public", t) for t in ("dtzpt", "xlxx", "hczxx", "zdkl_rtj", "ssxx", "v_zdrjkl")}


def codes(sql: str, known_tables: set[tuple[str, str]] | None = DEMO_TABLES) -> list[str]:
    return [problem.code for problem in check_sql(sql, known_tables).problems]


def test_the_shared_lists_are_big_enough_and_plain() -> None:
    assert len(ATTACKS) >= 40
    assert len(SAFE) >= 15
    assert all(isinstance(sql, str) and isinstance(code, str) for sql, code in ATTACKS)
    assert len({sql for sql, _ in ATTACKS}) == len(ATTACKS)


@pytest.mark.parametrize(("sql", "code"), ATTACKS)
def test_attack_is_refused_with_its_code(sql: str, code: str) -> None:
    check = check_sql(sql, DEMO_TABLES)
    assert not check.valid
    assert code in [problem.code for problem in check.problems], check.problems


@pytest.mark.parametrize("sql", SAFE)
def test_safe_query_passes(sql: str) -> None:
    check = check_sql(sql, DEMO_TABLES)
    assert check.valid, check.problems
    assert check.problems == []


def test_tables_skip_ctes_and_aliases_and_keep_qualification() -> None:
    check = check_sql(
        "WITH t AS (SELECT * FROM zdkl_rtj) "
        'SELECT * FROM t JOIN public.dtzpt AS d USING (zdbh) JOIN "xlxx" x ON x.xlbh = d.xlbh',
        DEMO_TABLES,
    )
    assert check.valid, check.problems
    assert check.tables == ["public.dtzpt", "xlxx", "zdkl_rtj"]


def test_unquoted_names_fold_to_lower_case() -> None:
    assert check_sql("SELECT * FROM DTZPT", DEMO_TABLES).tables == ["dtzpt"]
    assert codes("SELECT * FROM Public.Dtzpt") == []
    assert codes('SELECT * FROM "DTZPT"') == ["unknown_table"]


def test_a_cte_is_only_visible_in_its_scope() -> None:
    check = check_sql("SELECT * FROM (WITH a AS (SELECT 1) SELECT * FROM a) s, a", DEMO_TABLES)
    assert [problem.code for problem in check.problems] == ["unknown_table"]
    assert check.tables == ["a"]
    assert codes("WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b") == []
    assert codes("WITH b AS (SELECT * FROM a), a AS (SELECT 1) SELECT * FROM b") == [
        "unknown_table"
    ]
    assert codes("WITH x AS (SELECT 1) SELECT * FROM (SELECT * FROM x) s") == []


def test_unknown_and_known_tables() -> None:
    assert codes("SELECT * FROM public.dtzpt") == []
    assert codes("SELECT * FROM secrets") == ["unknown_table"]
    assert codes("SELECT * FROM other.dtzpt") == ["unknown_table"]
    assert codes("SELECT * FROM otherdb.public.dtzpt") == ["unknown_table"]
    assert codes("SELECT * FROM dtzpt", {("metro", "dtzpt")}) == []
    assert codes("SELECT * FROM public.dtzpt", {("metro", "dtzpt")}) == ["unknown_table"]


def test_catalog_tables_are_forbidden_even_unqualified_and_without_a_snapshot() -> None:
    for sql in (
        "SELECT * FROM pg_authid",
        "SELECT * FROM PG_SHADOW",
        "SELECT * FROM pg_catalog.pg_class",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM pg_toast.pg_toast_2619",
    ):
        assert codes(sql, None) == ["forbidden_table"], sql
        assert codes(sql) == ["forbidden_table"], sql


def test_every_problem_is_reported() -> None:
    assert sorted(codes("SELECT * FROM secrets FOR UPDATE")) == ["locking_clause", "unknown_table"]
    assert sorted(codes("SELECT pg_sleep(1) INTO t FROM pg_authid FOR SHARE")) == [
        "forbidden_function",
        "forbidden_table",
        "locking_clause",
        "select_into",
        "unknown_table",
    ]
    assert codes("SELECT 1; DELETE FROM dtzpt") == ["statement_count", "not_read_only"]


def test_the_same_problem_is_reported_once() -> None:
    assert codes("SELECT pg_sleep(1), pg_sleep(2) FROM secrets, secrets") == [
        "forbidden_function",
        "unknown_table",
    ]


def test_without_known_tables_existence_is_not_checked() -> None:
    check = check_sql("SELECT * FROM anything JOIN other.thing USING (id)")
    assert check.valid, check.problems
    assert check.tables == ["anything", "other.thing"]


def test_a_parse_failure_reports_only_parse_error() -> None:
    assert codes("SELEC 1 FRM; DROP TABLE dtzpt") == ["parse_error"]
    assert codes("SELECT 1 /* unterminated") == ["parse_error"]
    assert codes("(" * 5000 + "1" + ")" * 5000) == ["parse_error"]


@pytest.mark.parametrize("sql", ["SELECT 1;", "SELECT 1; -- done", "SELECT 1;;", "SELECT 1 --"])
def test_trailing_semicolons_and_comments_are_one_statement(sql: str) -> None:
    assert codes(sql) == []


@pytest.mark.parametrize("sql", ["", ";", "-- nothing", "/* nothing */"])
def test_no_statement_is_refused(sql: str) -> None:
    assert codes(sql) == ["statement_count"]


@pytest.mark.parametrize(
    "name",
    [
        "pg_sleep_for",
        "pg_read_binary_file",
        "pg_ls_waldir",
        "pg_stat_file",
        "lo_get",
        "lo_put",
        "lo_open",
        "loread",
        "dblink_exec",
        "pg_try_advisory_xact_lock",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_logical_emit_message",
        "pg_replication_origin_create",
        "pg_drop_replication_slot",
        "pg_create_logical_replication_slot",
        "pg_file_write",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "database_to_xml",
        "ts_stat",
        "txid_current",
        "setval",
        "pg_import_system_collations",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_stat_get_activity",
    ],
)
def test_forbidden_function_in_every_position(name: str) -> None:
    for sql in (
        f"SELECT {name}(1)",
        f"SELECT {name.upper()}(1)",
        f'SELECT "{name}"(1)',
        f"SELECT pg_catalog.{name}(1)",
        f"SELECT * FROM {name}(1) AS f",
        f"SELECT zdmc FROM dtzpt WHERE zdbh IN (SELECT {name}(1))",
        f"SELECT * FROM ROWS FROM ({name}(1)) AS f",
    ):
        assert codes(sql) == ["forbidden_function"], sql


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT current_setting('TimeZone')",
        "SELECT xpath('/a', '<a/>'::xml)",
        "SELECT lower(zdmc), left(zdmc, 1), log(10), localtimestamp FROM dtzpt",
        "SELECT * FROM generate_series(1, 3) AS g",
        "SELECT * FROM unnest(ARRAY[1, 2]) AS u(x)",
        "SELECT U&'\\0041' AS a",
    ],
)
def test_ordinary_functions_pass(sql: str) -> None:
    assert codes(sql) == []


def test_unicode_escaped_identifiers_are_refused() -> None:
    # PostgreSQL reads U&"\0070g_sleep" as pg_sleep; sqlglot would read `U & "\0070g_sleep"`.
    assert codes('SELECT u&"\\0070g_sleep"(1)') == ["parse_error"]
    assert codes('SELECT * FROM U&"\\0070g_authid"') == ["parse_error"]
    assert codes("SELECT 'U&\"x\"' AS s") == []


_FRAGMENTS = [
    "SELECT",
    "1",
    "*",
    "FROM",
    "dtzpt",
    "pg_authid",
    "WHERE",
    "zdmc",
    "=",
    "'a;b'",
    ";",
    "--",
    "\n",
    "/*",
    "*/",
    "(",
    ")",
    "WITH",
    "x",
    "AS",
    "DELETE",
    "INSERT",
    "INTO",
    "UPDATE",
    "SET",
    "DROP",
    "TABLE",
    "UNION",
    "VALUES",
    "FOR UPDATE",
    "pg_sleep(1)",
    "$$",
    "$a$",
    ",",
    '"',
    "U&",
]


@settings(max_examples=200, deadline=None, database=None)
@given(st.one_of(st.text(), st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map(" ".join)))
def test_never_raises_and_valid_means_one_read_query(sql: str) -> None:
    check = check_sql(sql)
    assert check.valid == (check.problems == [])
    if not check.valid:
        return
    statements = [
        s
        for s in sqlglot.parse(sql, read="postgres")
        if s is not None and not isinstance(s, exp.Semicolon)
    ]
    assert len(statements) == 1
    (root,) = statements
    inner = root.unnest() if isinstance(root, exp.Subquery) else root
    assert isinstance(inner, exp.Select | exp.SetOperation | exp.Values)
    assert not any(
        isinstance(node, exp.DML | exp.Command | exp.Into | exp.Lock) for node in root.walk()
    )
