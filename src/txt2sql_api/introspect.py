"""Schema introspection through `pg_catalog` (not `information_schema`, which is far slower on big
catalogs), cached in memory after the first read."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import asyncpg
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from txt2sql_api.db import Conn


SERVICE_SCHEMA = "txt2sql"

TableKind = Literal["table", "view", "materialized_view", "foreign_table"]
_KINDS: dict[str, TableKind] = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
}


class Column(BaseModel):
    name: str
    type: str
    nullable: bool
    default: str | None = None
    comment: str | None = None


class ForeignKey(BaseModel):
    columns: list[str]
    ref_table: str = Field(description="Qualified name of the referenced table.")
    ref_columns: list[str]


class Table(BaseModel):
    schema_name: str
    name: str
    kind: TableKind
    comment: str | None = None
    columns: list[Column]
    primary_key: list[str] = Field(default_factory=list)
    unique: list[list[str]] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    row_estimate: int | None = Field(default=None, description="Planner's estimate; None: unknown.")

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.name}"


class SchemaSnapshot(BaseModel):
    tables: list[Table]
    loaded_at: datetime

    def table(self, qualified_name: str) -> Table | None:
        return next((t for t in self.tables if t.qualified_name == qualified_name), None)


_TABLES_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind::text AS relkind,
       obj_description(c.oid, 'pg_class') AS comment, c.reltuples::bigint AS reltuples
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND n.nspname = ANY($1::text[])
ORDER BY n.nspname, c.relname
"""

_COLUMNS_SQL = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname = ANY($1::text[])
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS_SQL = """
SELECT con.conrelid, con.contype::text AS contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.pos) AS columns,
       fn.nspname AS ref_schema, fc.relname AS ref_table,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.pos) AS ref_columns
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.contype IN ('p', 'u', 'f')
  AND n.nspname = ANY($1::text[])
ORDER BY con.conrelid, con.contype, con.conname
"""


def visible_schemas(configured: Sequence[str]) -> list[str]:
    """The service's own schema is never shown to the model, whatever is configured."""
    return [s for s in configured if s != SERVICE_SCHEMA]


async def introspect(conn: Conn, schemas: Sequence[str]) -> SchemaSnapshot:
    names = visible_schemas(schemas)
    tables = await conn.fetch(_TABLES_SQL, names)
    columns = await conn.fetch(_COLUMNS_SQL, names)
    constraints = await conn.fetch(_CONSTRAINTS_SQL, names)

    columns_of: dict[int, list[Column]] = defaultdict(list)
    for row in columns:
        columns_of[row["attrelid"]].append(
            Column(
                name=row["attname"],
                type=row["type"],
                nullable=not row["attnotnull"],
                default=row["default_expr"],
                comment=row["comment"],
            )
        )
    constraints_of: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for row in constraints:
        constraints_of[row["conrelid"]].append(row)

    return SchemaSnapshot(
        tables=[_table(row, columns_of[row["oid"]], constraints_of[row["oid"]]) for row in tables],
        loaded_at=datetime.now(UTC),
    )


def _table(row: asyncpg.Record, columns: list[Column], constraints: list[asyncpg.Record]) -> Table:
    table = Table(
        schema_name=row["nspname"],
        name=row["relname"],
        kind=_KINDS[row["relkind"]],
        comment=row["comment"],
        columns=columns,
        # -1 (never analyzed) and views (0) say nothing about the size.
        row_estimate=row["reltuples"] if row["reltuples"] > 0 else None,
    )
    for con in constraints:
        if con["contype"] == "p":
            table.primary_key = list(con["columns"])
        elif con["contype"] == "u":
            table.unique.append(list(con["columns"]))
        else:
            table.foreign_keys.append(
                ForeignKey(
                    columns=list(con["columns"]),
                    ref_table=f"{con['ref_schema']}.{con['ref_table']}",
                    ref_columns=list(con["ref_columns"]),
                )
            )
    return table


class SchemaCache:
    """One snapshot in memory; concurrent first readers share a single introspection."""

    def __init__(self, pool: asyncpg.Pool, schemas: Sequence[str], acquire_timeout: float) -> None:
        self._pool = pool
        self._schemas = list(schemas)
        self._acquire_timeout = acquire_timeout
        self._snapshot: SchemaSnapshot | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> SchemaSnapshot:
        if self._snapshot is not None:
            return self._snapshot
        async with self._lock:
            if self._snapshot is None:
                async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                    self._snapshot = await introspect(conn, self._schemas)
            return self._snapshot
