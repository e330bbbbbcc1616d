"""What the service's database role may do beyond reading: it should be nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn


_WRITABLE_SQL = """
SELECT n.nspname || '.' || c.relname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
ORDER BY 1
"""


async def writable_tables(conn: Conn, schemas: Sequence[str]) -> list[str]:
    """Tables the service's role could change: it should have none (SELECT only)."""
    return [row[0] for row in await conn.fetch(_WRITABLE_SQL, list(schemas))]
