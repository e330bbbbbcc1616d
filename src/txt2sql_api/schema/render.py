"""The schema as the model reads it: one `TABLE` block per table, then the question's values.

Everything that comes from the database (names, comments, values) is data. It is JSON-quoted
with line breaks and angle brackets escaped, so no comment can leave its quotes, start a new
line that reads as a rule, or close the prompt's data block."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from txt2sql_api.schema.introspect import Column, Table
from txt2sql_api.schema.value_index import ValueMatch

SHOWN_SAMPLES = 5
SHOWN_ALLOWED = 20

# Control characters (line breaks among them, JSON leaves some alone) and the angle brackets of
# the data block's tags.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029<>]")
_PLAIN_IDENT = re.compile(r"[a-z_][a-z0-9_$]*")


def _escape(text: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def quote_data(value: object) -> str:
    """JSON on one line that cannot contain `<` or `>`: a string, or a result row."""
    return _escape(json.dumps(value, ensure_ascii=False, default=str))


def _ident(name: str) -> str:
    if _PLAIN_IDENT.fullmatch(name):
        return name
    return '"' + _escape(name.replace('"', '""')) + '"'


def _values(column: Column) -> str:
    allowed = column.enum_values or column.check_values
    if allowed:
        more = f" …({len(allowed)})" if len(allowed) > SHOWN_ALLOWED else ""
        return "  values: " + ", ".join(map(quote_data, allowed[:SHOWN_ALLOWED])) + more
    samples = column.sample_values
    if not samples:
        return ""
    more = f" …({len(samples)} distinct)" if len(samples) > SHOWN_SAMPLES else ""
    return "  e.g. " + ", ".join(map(quote_data, samples[:SHOWN_SAMPLES])) + more


def render_table(table: Table) -> str:
    head = f"TABLE {_ident(table.schema_name)}.{_ident(table.name)}"
    if table.kind != "table":
        head += f" ({table.kind})"
    if table.row_estimate is not None:
        head += f" rows≈{table.row_estimate}"
    if table.comment:
        head += f"  -- {quote_data(table.comment)}"
    lines = [head]
    pk = set(table.primary_key)
    for column in table.columns:
        line = f"  {_ident(column.name)} {_escape(column.type)}"
        if column.name in pk:
            line += " PRIMARY KEY" if len(pk) == 1 else " PK"
        if not column.nullable and column.name not in pk:
            line += " NOT NULL"
        if column.comment:
            line += f"  -- {quote_data(column.comment)}"
        lines.append(line + _values(column))
    for fk in table.foreign_keys:
        ref_schema, _, ref_name = fk.ref_table.partition(".")
        lines.append(
            f"  FOREIGN KEY ({', '.join(map(_ident, fk.columns))}) REFERENCES "
            f"{_ident(ref_schema)}.{_ident(ref_name)} ({', '.join(map(_ident, fk.ref_columns))})"
        )
    return "\n".join(lines)


def render_matches(matches: Sequence[ValueMatch]) -> str:
    """The question's words that are values in the database, and where they are."""
    lines = [
        f"  {quote_data(m.value)} is in "
        + ", ".join(f"{_ident_path(ref.table)}.{_ident(ref.column)}" for ref in m.holders)
        for m in matches
    ]
    return "question values:\n" + "\n".join(lines) if lines else ""


def _ident_path(qualified: str) -> str:
    schema, _, name = qualified.partition(".")
    return f"{_ident(schema)}.{_ident(name)}"


def render_schema(table_texts: Sequence[str], matches: Sequence[ValueMatch] = ()) -> str:
    """The schema part of the prompt, from tables already rendered by `render_table`."""
    parts = list(table_texts)
    if matches:
        parts.append(render_matches(matches))
    return "\n\n".join(parts)
