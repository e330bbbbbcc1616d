"""An embedded PostgreSQL (the pgserver wheel ships the server binaries) for `serve` without
DATABASE_URL: a working demo on a machine that has no database server."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEMO_DATABASE = "txt2sql_demo"


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("txt2sql-api")) / "pgdata"


def start_embedded(data_dir: Path) -> tuple[Any, str]:
    """Starts (or reuses) the server in `data_dir`; returns its handle and the demo database URL.

    Keep the handle referenced: the server stops when the last handle goes.
    """
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir, which warns where XDG_RUNTIME_DIR is unset.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from pgserver.postgres_server import get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DEMO_DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DEMO_DATABASE};")
    url: str = server.get_uri(DEMO_DATABASE)
    logger.info("embedded PostgreSQL in %s, database %s", data_dir, DEMO_DATABASE)
    return server, url
