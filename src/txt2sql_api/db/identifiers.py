"""SQL identifiers of our own statements (schemas, tables, columns from the catalog), quoted."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """Always quoted: the name is kept exactly, case and all, whatever characters it has."""
    return '"' + name.replace('"', '""') + '"'
