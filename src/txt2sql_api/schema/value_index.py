"""Which column holds a value: database values found inside a question, so "沈塘桥" or "金卡"
leads to the column that holds it (schema pruning) and can be masked (example retrieval)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from txt2sql_api.text import PhraseIndex, fold

# Shorter values (one Chinese character, "A") match almost any question by chance.
MIN_VALUE_CHARS = 2
MAX_VALUE_CHARS = 32
_NOT_A_NAME = re.compile(r"[\d\W_]+")


@dataclass(frozen=True)
class ColumnRef:
    table: str = ""
    column: str = ""


@dataclass(frozen=True)
class ValueMatch:
    value: str = ""
    start: int = 0
    end: int = 0
    holders: tuple[ColumnRef, ...] = ()


def normalize(value: str) -> str:
    """A value as the index keys it: trimmed and folded."""
    return fold(value.strip())


def indexable(value: str) -> bool:
    key = normalize(value)
    # Bare numbers and punctuation ("1", "2024-06") are not entity names.
    return MIN_VALUE_CHARS <= len(key) <= MAX_VALUE_CHARS and not _NOT_A_NAME.fullmatch(key)


class ValueIndex:
    """Normalized value text → the (table, column) pairs that hold it."""

    def __init__(self) -> None:
        self._phrases: PhraseIndex[ColumnRef] = PhraseIndex()

    def __len__(self) -> int:
        return len(self._phrases)

    def add_all(self, values: Iterable[str], table: str, column: str) -> None:
        ref = ColumnRef(table, column)
        for value in values:
            if indexable(value):
                self._phrases.add(value, ref)

    def holders(self, value: str) -> list[ColumnRef]:
        return _sorted(self._phrases.payloads(value))

    def find(self, text: str) -> list[ValueMatch]:
        """Leftmost-longest, non-overlapping occurrences of known values in `text`."""
        return [
            ValueMatch(text[start:end], start, end, tuple(_sorted(refs)))
            for start, end, refs in self._phrases.find(text)
        ]


def _sorted(refs: Iterable[ColumnRef]) -> list[ColumnRef]:
    return sorted(refs, key=lambda r: (r.table, r.column))
