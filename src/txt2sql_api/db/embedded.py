"""An embedded PostgreSQL (the pgserver wheel ships the server binaries) for `serve` without
DATABASE_URL: a working demo on a machine that has no database server."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from txt2sql_api.db.identifiers import quote_ident

logger = logging.getLogger(__name__)

DEMO_DATABASE = "txt2sql_demo"
# pgserver's list of the processes that hold a handle on the server in a data dir: the last
# one to let go stops it.
HANDLES_FILE = ".handle_pids.json"


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("txt2sql-api")) / "pgdata"


@contextmanager
def embedded_server(data_dir: Path, *, keep_running: bool = False) -> Iterator[str]:
    """Starts (or joins) the server in `data_dir` and yields the demo database's URL.

    At the end the server stops, unless another process still uses it or `keep_running`. A
    process killed without its clean-up (SIGKILL, a crash) leaves its handle behind, which
    would keep every later process from stopping the server: dead handles are dropped first,
    so the next process to end stops a server such a crash left running.
    """
    with running_server(data_dir, keep_running=keep_running) as server:
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DEMO_DATABASE}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DEMO_DATABASE};")
        url: str = server.get_uri(DEMO_DATABASE)
        logger.info("embedded PostgreSQL in %s, database %s", data_dir, DEMO_DATABASE)
        yield url


@contextmanager
def running_server(data_dir: Path, *, keep_running: bool = False) -> Iterator[Any]:
    """pgserver's handle on the server in `data_dir`, started or joined; let go at the end."""
    server = _server(data_dir, keep_running=keep_running)
    try:
        yield server
    finally:
        # Not left to pgserver's atexit hook, which a SIGTERM's default action never runs.
        server.cleanup()


def _server(data_dir: Path, *, keep_running: bool) -> Any:
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir, which warns where XDG_RUNTIME_DIR is unset.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from pgserver.postgres_server import PostgresServer, get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        # The lock pgserver itself takes around its handle list.
        with PostgresServer._lock:
            _forget_dead_handles(data_dir.expanduser().resolve())
        return get_server(data_dir, cleanup_mode=None if keep_running else "stop")


def _forget_dead_handles(data_dir: Path) -> None:
    import psutil

    handles = data_dir / HANDLES_FILE
    try:
        pids: list[int] = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        logger.info("dropped the handles of %d processes that ended", len(pids) - len(alive))
        handles.write_text(json.dumps(alive))


# The role the model's SQL runs as on the embedded server: SELECT on the shown schemas and
# nothing else, with the limits only a superuser may set on it. The examples store keeps
# writing as the owner.
READER_ROLE = "txt2sql_reader"
_READER_LIMITS = {
    "temp_file_limit": "256MB",
    "work_mem": "16MB",
    "statement_timeout": "30s",
    "idle_in_transaction_session_timeout": "60s",
}


async def ensure_reader(owner_url: str, schemas: Sequence[str], role: str = READER_ROLE) -> str:
    """Creates (or brings up to date) the SELECT-only role; returns its URL."""
    import asyncpg

    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            # An advisory lock: two workers starting at once must not both create the role.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", role)
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} LOGIN")
            database = await conn.fetchval("SELECT current_database()")
            await conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
            present = await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])", list(schemas)
            )
            for (schema,) in present:
                quoted = quote_ident(schema)
                await conn.execute(f"GRANT USAGE ON SCHEMA {quoted} TO {role}")
                await conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {quoted} TO {role}")
            for setting, value in _READER_LIMITS.items():
                await conn.execute(f"ALTER ROLE {role} SET {setting} = '{value}'")
    finally:
        await conn.close()
    return _as_user(owner_url, role)


def _as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))
