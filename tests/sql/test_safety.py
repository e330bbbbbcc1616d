"""SQL safety against a real database: the function allow-list, names resolved as the pinned
search_path resolves them, one deadline for EXPLAIN and rows, rows bounded in the service's
memory whatever their width, the length cap, and the embedded server's SELECT-only role."""

from __future__ import annotations

import asyncio
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.helpers.analytic_queries import ANALYTIC
from tests.helpers.pg import Databases, wait_for_activity, with_user
from txt2sql_api.db.embedded import ensure_reader
from txt2sql_api.db.pool import ServicePool, create_pool
from txt2sql_api.db.privileges import writable_tables
from txt2sql_api.demo.loader import load_demo
from txt2sql_api.schema.introspect import introspect, namespace
from txt2sql_api.sql import functions, verify
from txt2sql_api.sql.guard import Visible, check_sql
from txt2sql_api.sql.run import RowBatch, run_query
from txt2sql_api.sql.transaction import Deadline, QueryFailed, QueryLimits

LIMITS = QueryLimits(5, 500, 1_000_000, 100, 5, search_path=("public",))


async def visible_in(url: str, schemas: list[str], **kwargs: object) -> Visible:
    conn = await asyncpg.connect(url)
    try:
        tables = await introspect(conn, schemas, **kwargs)  # type: ignore[arg-type]
        relations, function_names = await namespace(conn, schemas)
    finally:
        await conn.close()
    return Visible(
        tables=frozenset((t.schema_name, t.name) for t in tables),
        schemas=schemas,
        relations=relations,
        functions=function_names,
    )


async def rows_of(
    pool: ServicePool, sql: str, limits: QueryLimits = LIMITS, deadline: Deadline | None = None
) -> list[RowBatch]:
    return [batch async for batch in run_query(pool, sql, limits, deadline)]


@pytest.fixture
async def pool(demo_db: str) -> AsyncIterator[ServicePool]:
    async with create_pool(demo_db, min_size=0, max_size=2) as pool:
        yield pool


async def test_no_builtin_outside_the_allow_list_passes(demo_db: str) -> None:
    conn = await asyncpg.connect(demo_db)
    try:
        names = [row[0] for row in await conn.fetch("SELECT DISTINCT proname FROM pg_proc")]
    finally:
        await conn.close()
    passed = {
        name
        for name in names
        for arguments in ("()", "(1)", "(1, 1)", "('a', 1, 1)")
        if check_sql(f"SELECT {name}{arguments}").valid
    }
    assert len(names) > 2000
    # `char(1)` is sqlglot's spelling of chr(), `interval(1)` a type modifier: both built-ins.
    assert passed - functions.ALLOWED <= {"char", "interval"}
    assert {"count", "date_trunc", "jsonb_build_object", "row_number"} <= passed


async def test_every_analytic_query_passes_the_guard_and_runs(
    demo_db: str, pool: ServicePool
) -> None:
    visible = await visible_in(demo_db, ["public"])
    assert len(ANALYTIC) >= 100
    refused = {sql: check_sql(sql, visible).problems for sql in ANALYTIC}
    assert {sql: problems for sql, problems in refused.items() if problems} == {}
    for sql in ANALYTIC:
        batches = await rows_of(pool, sql)
        assert batches[-1].final, sql


@pytest.fixture
async def two_schemas(databases: Databases) -> str:
    """Schemas app and public, each with a table `users`: app's is hidden (excluded), and
    public's shown; app defines a function `lower` and an operator-allowed `fiscal_quarter`."""
    url = await databases.create()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """
            CREATE SCHEMA app;
            CREATE TABLE app.users (name text, password_hash text);
            INSERT INTO app.users VALUES ('admin', 'hash-of-the-secret');
            CREATE TABLE public.users (name text);
            INSERT INTO public.users VALUES ('visible');
            CREATE TABLE app.orders (id int);
            CREATE FUNCTION app.lower(text) RETURNS text LANGUAGE sql
                AS $$ SELECT password_hash FROM app.users LIMIT 1 $$;
            CREATE FUNCTION app.fiscal_quarter(date) RETURNS int LANGUAGE sql
                AS $$ SELECT extract(quarter FROM $1)::int $$;
            """
        )
    finally:
        await conn.close()
    return url


async def test_a_bare_name_is_checked_as_postgresql_resolves_it(two_schemas: str) -> None:
    hidden_first = await visible_in(two_schemas, ["app", "public"], exclude=["app.users"])
    assert ("public", "users") in hidden_first.tables
    assert ("app", "users") not in hidden_first.tables
    # app comes first in the path, so a bare `users` is app.users, which is hidden.
    assert [p.code for p in check_sql("SELECT * FROM users", hidden_first).problems] == [
        "unknown_table"
    ]
    assert check_sql("SELECT * FROM public.users", hidden_first).valid
    public_first = await visible_in(two_schemas, ["public", "app"], exclude=["app.users"])
    assert check_sql("SELECT * FROM users", public_first).valid
    # And the run resolves it the same way: the pinned path, not the role's own.
    limits = QueryLimits(5, 500, 1_000_000, 100, 5, search_path=("public", "app"))
    async with create_pool(two_schemas, min_size=0, max_size=1) as pool:
        batches = await rows_of(pool, "SELECT * FROM users", limits)
    assert batches[0].rows == [["visible"]]


async def test_a_function_a_shown_schema_defines_is_not_taken_for_the_builtin(
    two_schemas: str,
) -> None:
    visible = await visible_in(two_schemas, ["app", "public"])
    assert "lower" in visible.functions
    (problem,) = check_sql("SELECT lower(name) FROM public.users", visible).problems
    assert problem.code == "forbidden_function" and "pg_catalog.lower" in problem.message
    assert check_sql("SELECT pg_catalog.lower(name) FROM public.users", visible).valid
    assert not check_sql("SELECT app.lower(name) FROM public.users", visible).valid
    # Built-ins resolve first under the pinned path, whatever a shown schema defines.
    limits = QueryLimits(5, 500, 1_000_000, 100, 5, search_path=("app", "public"))
    async with create_pool(two_schemas, min_size=0, max_size=1) as pool:
        batches = await rows_of(pool, "SELECT lower(name) FROM public.users", limits)
    assert batches[0].rows == [["visible"]]


async def test_the_operator_may_allow_a_function_by_its_qualified_name(two_schemas: str) -> None:
    visible = await visible_in(two_schemas, ["app", "public"])
    sql = "SELECT app.fiscal_quarter(DATE '2026-05-01')"
    assert not check_sql(sql, visible).valid
    allowed = Visible(
        tables=visible.tables,
        schemas=visible.schemas,
        relations=visible.relations,
        functions=visible.functions,
        allowed_functions={"app.fiscal_quarter"},
    )
    assert check_sql(sql, allowed).valid
    assert check_sql("SELECT fiscal_quarter(DATE '2026-05-01')", allowed).valid
    assert not check_sql("SELECT app.lower('x')", allowed).valid


def test_bounded_functions_need_small_literal_arguments() -> None:
    assert check_sql("SELECT repeat('-', 20), lpad('7', 3, '0')").valid
    assert check_sql("SELECT * FROM generate_series(1, 100000)").valid
    assert check_sql(
        "SELECT generate_series(DATE '2026-01-01', DATE '2026-12-31', INTERVAL '1 day')"
    ).valid
    for sql in (
        "SELECT repeat('x', 1001)",
        "SELECT repeat('x', ckgs) FROM dtzpt",
        "SELECT * FROM generate_series(1, 100001)",
        "SELECT generate_series(now(), now() + INTERVAL '1 day', INTERVAL '1 second')",
        "SELECT generate_series(DATE '2000-01-01', DATE '2026-01-01', INTERVAL '1 minute')",
        "SELECT current_setting('app.jwt_secret')",
    ):
        assert [p.code for p in check_sql(sql).problems] == ["forbidden_function"], sql
    assert check_sql("SELECT current_setting('TimeZone')").valid


def test_sql_past_the_length_cap_is_refused_before_parsing() -> None:
    long = "SELECT 1" + " " * 100
    (problem,) = check_sql(long, max_chars=50).problems
    assert problem.code == "too_long" and "108" in problem.message
    assert check_sql(long, max_chars=200).valid


def test_thousands_of_ctes_are_scoped_right() -> None:
    chained = ", ".join(f"c{i} AS (SELECT {i} AS x)" for i in range(2500))
    assert check_sql(f"WITH {chained} SELECT * FROM c2499", set()).valid
    # A CTE does not see itself without RECURSIVE: pg_authid inside it is the catalog's.
    shadow = "WITH pg_authid AS (SELECT * FROM pg_authid) SELECT * FROM pg_authid"
    assert "forbidden_table" in [p.code for p in check_sql(shadow, set()).problems]


async def test_a_check_that_takes_too_long_is_refused_not_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(verify, "CHECK_SECONDS", 0.000001)
    chained = ", ".join(f"c{i} AS (SELECT {i} AS x)" for i in range(2000))
    check = await verify.check_off_loop(f"WITH {chained} SELECT * FROM c1", set(), 10**6)
    assert [p.code for p in check.problems] == ["too_complex"]


async def test_one_deadline_covers_every_fetch_of_a_query(demo_db: str, pool: ServicePool) -> None:
    """The database's statement_timeout restarts with each cursor fetch: each one here takes
    0.2 s, under it, but all of them 10 s. The service's deadline ends the query at 1 s."""
    slow = "SELECT pg_sleep(0.2), g FROM generate_series(1, 50) AS g"
    limits = QueryLimits(1.0, 500, 1_000_000, 1, 5)
    with pytest.raises(QueryFailed) as raised:
        await rows_of(pool, slow, limits)
    assert raised.value.code == "query_timeout"
    assert "EXPLAIN and rows together" in raised.value.message
    await wait_for_activity(demo_db, "pg_sleep(0.2)", present=False)


async def test_explain_and_rows_share_the_deadline(pool: ServicePool) -> None:
    deadline = Deadline(0.5)
    await asyncio.sleep(0.6)  # spent, as a slow EXPLAIN would have spent it
    with pytest.raises(QueryFailed) as raised:
        await rows_of(pool, "SELECT 1", LIMITS, deadline)
    assert raised.value.code == "query_timeout"


async def test_wide_rows_cost_the_service_a_bounded_amount_of_memory(pool: ServicePool) -> None:
    """Rows of 10 MB each: bounded inside the SQL, the service receives none of them."""
    wide = "SELECT repeat('x', 10000000) AS x FROM generate_series(1, 20)"
    tracemalloc.start()
    try:
        batches = await rows_of(pool, wide, QueryLimits(30, 500, 1_000_000, 100, 5))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert batches[-1].truncated and batches[-1].row_count == 0
    assert peak < 3 * LIMITS.max_bytes


async def test_rows_stop_at_the_byte_cap_inside_the_sql(pool: ServicePool) -> None:
    limits = QueryLimits(5, 500, 20_000, 100, 5)
    batches = await rows_of(pool, "SELECT repeat('y', 1000) FROM generate_series(1, 400)", limits)
    sent = sum(len(batch.rows) for batch in batches)
    assert batches[-1].truncated
    assert 10 <= sent < 20


async def test_the_embedded_role_may_only_select(databases: Databases) -> None:
    url = await databases.create()
    await load_demo(url)
    role = f"txt2sql_ro_{uuid.uuid4().hex[:8]}"
    reader_url = await ensure_reader(url, ["public"], role=role)
    assert reader_url == with_user(url, role)
    assert await ensure_reader(url, ["public"], role=role) == reader_url  # idempotent
    conn = await asyncpg.connect(reader_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM dtzpt") > 0
        assert await writable_tables(conn, ["public"]) == []
        assert await conn.fetchval("SHOW temp_file_limit") == "256MB"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM dtzpt")
    finally:
        await conn.close()
        # Roles are the cluster's: this one goes with its database.
        admin = await asyncpg.connect(databases.admin)
        try:
            await admin.execute(f'DROP DATABASE "{urlsplit(url).path[1:]}" WITH (FORCE)')
            await admin.execute(f"DROP ROLE {role}")
        finally:
            await admin.close()
