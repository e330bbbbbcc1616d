"""Schema introspection through `pg_catalog` (not `information_schema`, which is far slower on big
catalogs): tables, views and materialized views with their columns, keys, CHECK constraints,
enum labels and row estimates, in one consistent read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

import asyncpg
import sqlglot
from pydantic import BaseModel, Field, PrivateAttr
from pydantic.json_schema import SkipJsonSchema
from sqlglot import exp

from txt2sql_api.db.meta_schema import visible_schemas
from txt2sql_api.schema.value_index import ValueIndex, ValueMatch

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn


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
    enum_values: list[str] | None = Field(default=None, description="Labels of its enum type.")
    check_values: list[str] | None = Field(
        default=None, description="The values a CHECK constraint allows (`IN (...)`)."
    )
    sample_values: list[str] = Field(
        default_factory=list,
        description="Distinct values read from the data, for low-cardinality text columns.",
    )

    @property
    def known_values(self) -> list[str]:
        return self.enum_values or self.check_values or self.sample_values


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
    checks: list[str] = Field(default_factory=list, description="CHECK constraint definitions.")
    depends_on: list[str] = Field(
        default_factory=list, description="For a view: the tables and views it reads."
    )
    row_estimate: int | None = Field(default=None, description="Planner's estimate; None: unknown.")
    has_data: bool = Field(
        default=True, description="False when the table is known to be empty (no sample to read)."
    )

    @property
    def qualified_name(self) -> str:
        return f"{self.schema_name}.{self.name}"


class SchemaSnapshot(BaseModel):
    tables: list[Table]
    loaded_at: datetime
    # What the guard resolves names against (`namespace`); never shown, never serialized.
    relations: SkipJsonSchema[frozenset[tuple[str, str]]] = Field(default=frozenset(), exclude=True)
    function_names: SkipJsonSchema[frozenset[str]] = Field(default=frozenset(), exclude=True)
    _by_name: dict[str, Table] = PrivateAttr(default_factory=dict)
    _names: frozenset[tuple[str, str]] = PrivateAttr(default=frozenset())
    _values: ValueIndex = PrivateAttr(default_factory=ValueIndex)

    def model_post_init(self, _context: object, /) -> None:
        self._by_name = {t.qualified_name: t for t in self.tables}
        self._names = frozenset((t.schema_name, t.name) for t in self.tables)
        for table in self.tables:
            for column in table.columns:
                self._values.add_all(column.known_values, table.qualified_name, column.name)

    def names(self) -> frozenset[tuple[str, str]]:
        """(schema, name) of every table shown: the guard's list of known tables (built once
        per snapshot; every answer's guard asks for it)."""
        return self._names

    def table(self, qualified_name: str) -> Table | None:
        return self._by_name.get(qualified_name)

    def find_values(self, text: str) -> list[ValueMatch]:
        """The database values (enum labels, CHECK values, samples) that occur in `text`, longest
        first at each position, each with the (table, column) pairs that hold it."""
        return self._values.find(text)


# reltuples is 0 only for a table analyzed or vacuumed empty (-1: never analyzed).
_TABLES_SQL = """
SELECT c.oid, n.nspname, c.relname, c.relkind::text AS relkind,
       obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relkind = 'p'
            THEN (SELECT sum(greatest(ch.reltuples, 0))::bigint
                  FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid
                  WHERE i.inhparent = c.oid)
            ELSE c.reltuples::bigint END AS reltuples,
       c.reltuples <> 0 OR c.relkind NOT IN ('r', 'm') AS has_data
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND n.nspname = ANY($1::text[])
ORDER BY n.nspname, c.relname
"""

# pg_get_expr and pg_get_constraintdef open the table, so they would wait behind a table locked
# by a long ALTER or VACUUM FULL: such a table's defaults and CHECKs are left out this time.
_LOCKED = """
WITH locked AS (
    SELECT DISTINCT relation FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
)"""

_COLUMNS_SQL = f"""{_LOCKED}
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull,
       CASE WHEN lk.relation IS NULL THEN pg_get_expr(d.adbin, d.adrelid) END AS default_expr,
       col_description(a.attrelid, a.attnum) AS comment,
       CASE WHEN t.typtype = 'e'
            THEN ARRAY(SELECT e.enumlabel FROM pg_enum e
                       WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) END AS enum_labels
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN locked lk ON lk.relation = a.attrelid
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname = ANY($1::text[])
ORDER BY a.attrelid, a.attnum
"""

_CONSTRAINTS_SQL = f"""{_LOCKED}
SELECT con.conrelid, con.contype::text AS contype,
       CASE WHEN con.contype = 'c' AND lk.relation IS NULL
            THEN pg_get_constraintdef(con.oid) END AS definition,
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
LEFT JOIN locked lk ON lk.relation = con.conrelid
WHERE con.contype IN ('p', 'u', 'f', 'c')
  AND n.nspname = ANY($1::text[])
ORDER BY con.conrelid, con.contype, con.conname
"""


_VIEW_SOURCES_SQL = """
SELECT DISTINCT r.ev_class AS view_oid, sn.nspname, s.relname
FROM pg_rewrite r
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace n ON n.oid = v.relnamespace
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
JOIN pg_class s ON s.oid = d.refobjid
JOIN pg_namespace sn ON sn.oid = s.relnamespace
WHERE v.relkind IN ('v', 'm') AND n.nspname = ANY($1::text[])
ORDER BY 1, 2, 3
"""


def table_selected(schema: str, name: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Globs with a dot match `schema.table`, others the bare table name."""

    def matches(pattern: str) -> bool:
        return fnmatchcase(f"{schema}.{name}" if "." in pattern else name, pattern)

    return any(map(matches, include)) and not any(map(matches, exclude))


# Every relation of the shown schemas, hidden ones and sequences included (a bare name may
# resolve to any of them), and the names of the functions they define (which may shadow a
# built-in of the same name).
_RELATIONS_SQL = """
SELECT n.nspname, c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
"""
_FUNCTIONS_SQL = """
SELECT DISTINCT p.proname FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY($1::text[])
"""


async def namespace(
    conn: Conn, schemas: Sequence[str]
) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    """The relations and function names of the shown schemas."""
    names = visible_schemas(schemas)
    relations = await conn.fetch(_RELATIONS_SQL, names)
    function_names = await conn.fetch(_FUNCTIONS_SQL, names)
    return (
        frozenset((row[0], row[1]) for row in relations),
        frozenset(row[0] for row in function_names),
    )


async def introspect(
    conn: Conn,
    schemas: Sequence[str],
    *,
    include: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
) -> list[Table]:
    names = visible_schemas(schemas)
    # One snapshot of the catalog for the three reads, so a concurrent DDL cannot tear them.
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        tables = await conn.fetch(_TABLES_SQL, names)
        columns = await conn.fetch(_COLUMNS_SQL, names)
        constraints = await conn.fetch(_CONSTRAINTS_SQL, names)
        view_sources = await conn.fetch(_VIEW_SOURCES_SQL, names)

    columns_of: dict[int, list[Column]] = defaultdict(list)
    for row in columns:
        columns_of[row["attrelid"]].append(
            Column(
                name=row["attname"],
                type=row["type"],
                nullable=not row["attnotnull"],
                default=row["default_expr"],
                comment=row["comment"],
                enum_values=row["enum_labels"],
            )
        )
    constraints_of: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for row in constraints:
        constraints_of[row["conrelid"]].append(row)
    sources_of: dict[int, list[str]] = defaultdict(list)
    for row in view_sources:
        sources_of[row["view_oid"]].append(f"{row['nspname']}.{row['relname']}")

    return [
        _table(row, columns_of[row["oid"]], constraints_of[row["oid"]], sources_of[row["oid"]])
        for row in tables
        if table_selected(row["nspname"], row["relname"], include, exclude)
    ]


def _table(
    row: asyncpg.Record,
    columns: list[Column],
    constraints: list[asyncpg.Record],
    sources: list[str],
) -> Table:
    table = Table(
        schema_name=row["nspname"],
        name=row["relname"],
        kind=_KINDS[row["relkind"]],
        comment=row["comment"],
        columns=columns,
        # -1 (never analyzed) and views (0) say nothing about the size.
        row_estimate=row["reltuples"] if row["reltuples"] and row["reltuples"] > 0 else None,
        has_data=row["has_data"],
        depends_on=sources,
    )
    by_name = {c.name: c for c in columns}
    for con in constraints:
        kind, con_columns = con["contype"], list(con["columns"])
        if kind == "p":
            table.primary_key = con_columns
        elif kind == "u":
            table.unique.append(con_columns)
        elif kind == "f":
            table.foreign_keys.append(
                ForeignKey(
                    columns=con_columns,
                    ref_table=f"{con['ref_schema']}.{con['ref_table']}",
                    ref_columns=list(con["ref_columns"]),
                )
            )
        elif con["definition"] is not None:
            table.checks.append(con["definition"])
            values = enumerated_values(con["definition"])
            if values and len(con_columns) == 1 and con_columns[0] in by_name:
                by_name[con_columns[0]].check_values = values
    return table


def enumerated_values(definition: str) -> list[str] | None:
    """The string values of a CHECK that lists them, as PostgreSQL prints it back:
    `CHECK (((c)::text = ANY ((ARRAY['a'::character varying, ...])::text[])))`, `c IN (...)`
    or `c = 'a' OR c = 'b'`. None for any other condition."""
    body = definition.removeprefix("CHECK ").removesuffix(" NOT VALID")
    try:
        tree = sqlglot.parse_one(body, read="postgres")
    except sqlglot.errors.ParseError:
        return None
    return _listed(tree)


def _bare(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def _listed(node: exp.Expr) -> list[str] | None:
    node = _bare(node)
    if isinstance(node, exp.Or):
        left, right = _listed(node.this), _listed(node.expression)
        return None if left is None or right is None else left + right
    if isinstance(node, exp.In):
        items = list(node.expressions)
    elif isinstance(node, exp.EQ):
        other = _bare(node.expression)
        if isinstance(other, exp.Any):
            array = _bare(other.this)
            items = list(array.expressions) if isinstance(array, exp.Array) else []
        else:
            items = [other]
    else:
        return None
    literals = [_bare(item) for item in items]
    if not isinstance(_bare(node.this), exp.Column) or not literals:
        return None
    if not all(isinstance(lit, exp.Literal) and lit.is_string for lit in literals):
        return None
    return [str(lit.this) for lit in literals]
