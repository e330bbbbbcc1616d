"""Which column holds a value: database values found inside a question, so "沈塘桥" or "金卡"
leads to the column that holds it (schema pruning) and can be masked (example retrieval)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from txt2sql_api.text import fold, fold_in_place

# Shorter values (one Chinese character, "A") match almost any question by chance.
MIN_VALUE_CHARS = 2
MAX_VALUE_CHARS = 32
_NOT_A_NAME = re.compile(r"[\d\W_]+")
_WORD_CHAR = re.compile(r"[a-z0-9_]")


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
        self._holders: dict[str, set[ColumnRef]] = defaultdict(set)
        self._lengths: set[int] = set()

    def __len__(self) -> int:
        return len(self._holders)

    def add_all(self, values: Iterable[str], table: str, column: str) -> None:
        ref = ColumnRef(table, column)
        for value in values:
            if indexable(value):
                key = normalize(value)
                self._holders[key].add(ref)
                self._lengths.add(len(key))

    def holders(self, value: str) -> list[ColumnRef]:
        return sorted(self._holders.get(normalize(value), ()), key=lambda r: (r.table, r.column))

    def find(self, text: str) -> list[ValueMatch]:
        """Leftmost-longest, non-overlapping occurrences of known values in `text`. A value
        that starts or ends with a letter or digit must not be glued to another one ("in")."""
        folded = fold_in_place(text)
        lengths = sorted(self._lengths, reverse=True)
        found: list[ValueMatch] = []
        start = 0
        while start < len(folded):
            match = self._longest_at(folded, start, lengths)
            if match is None:
                start += 1
                continue
            end = start + len(match)
            refs = self.holders(match)
            found.append(ValueMatch(text[start:end], start, end, tuple(refs)))
            start = end
        return found

    def _longest_at(self, text: str, start: int, lengths: list[int]) -> str | None:
        for length in lengths:
            candidate = text[start : start + length]
            if len(candidate) == length and candidate in self._holders:
                if _glued(text, start, start + length):
                    continue
                return candidate
        return None


def _glued(text: str, start: int, end: int) -> bool:
    before = start > 0 and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start])
    after = end < len(text) and _WORD_CHAR.match(text[end - 1]) and _WORD_CHAR.match(text[end])
    return bool(before or after)
