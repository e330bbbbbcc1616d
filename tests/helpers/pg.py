"""A real PostgreSQL for the test session: throwaway databases, created and dropped per session.

Which server: ``TEST_DATABASE_URL`` when set, else the machine's server on 127.0.0.1:5432,
else an embedded server (pgserver) in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import asyncpg

from tests.helpers.eventually import eventually
from tests.helpers.processes import SESSION_DIRS
from txt2sql_api.db.embedded import running_server
from txt2sql_api.demo.loader import load_demo

LOCAL_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(dsn: str) -> str:
    return unquote(urlsplit(dsn).path.lstrip("/"))


def socket_dir(dsn: str) -> str | None:
    """The directory of the server's Unix socket, for a URL without a host (`?host=/dir`)."""
    parts = urlsplit(dsn)
    return None if parts.hostname else next(iter(parse_qs(parts.query).get("host", [])), None)


def with_user(dsn: str, user: str) -> str:
    """The same server and database as another role (no password: tests use trust auth)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


async def _reachable(dsn: str) -> bool:
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


@contextmanager
def admin_dsn() -> Iterator[str]:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        yield explicit
        return
    if asyncio.run(_reachable(LOCAL_ADMIN_DSN)):
        yield LOCAL_ADMIN_DSN
        return
    with tempfile.TemporaryDirectory(prefix="txt2sql-test-pg-") as data_dir:
        SESSION_DIRS.append(Path(data_dir))
        with running_server(Path(data_dir) / "pgdata") as server:
            yield server.get_uri()


class Databases:
    """Creates uniquely named databases on one server and drops them all at the end."""

    def __init__(self, admin: str) -> None:
        self.admin = admin
        self.created: list[str] = []

    async def create(self) -> str:
        name = f"txt2sql_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(self.admin)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return with_database(self.admin, name)

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.clear()


async def wait_for_activity(url: str, marker: str, *, present: bool) -> None:
    """Waits until a query containing `marker` runs, or no longer runs."""
    conn = await asyncpg.connect(url)

    async def running() -> bool:
        count = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
            f"%{marker}%",
        )
        return bool(count) == present

    try:
        await eventually(running, f"query {marker} {'started' if present else 'ended'}")
    finally:
        await conn.close()


async def new_demo_database(databases: Databases) -> str:
    """A throwaway database holding the demo (tests and benchmarks)."""
    url = await databases.create()
    await load_demo(url)
    return url


# Roles are cluster-wide: the read-only roles other test sessions on the same server create
# and drop (attack_db) are left out of the count, or it would change under this one.
CHECKSUM_SQL = r"""
SELECT md5(string_agg(format('%s:%s', c.relname, c.relkind), ',' ORDER BY c.relname))
       || (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM dtzpt t)
       || (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM xlxx t)
       || (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM zdkl_rtj t)
       || (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM ssxx t)
       || (SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM hczxx t)
       || (SELECT count(*)::text FROM pg_roles WHERE rolname NOT LIKE 'txt2sql\_ro\_%')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
"""


async def checksum(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval(CHECKSUM_SQL))
    finally:
        await conn.close()
