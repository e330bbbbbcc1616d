"""Text as every part compares it: Chinese cut into characters and bigrams (it has no spaces to
split words on), width and case folded; and text that PostgreSQL can store."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator

# CJK ideographs: the unified block, extension A, and the compatibility forms.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@lru_cache(maxsize=16)
def _runs_of(extra: str) -> re.Pattern[str]:
    return re.compile(f"[{CJK}{extra}]+")


def cjk_grams(text: str, *, extra: str = "") -> Iterator[str]:
    """Each run of CJK characters (and of `extra`, a regex character range such as the
    retriever's placeholders) as its single characters, then its bigrams."""
    for run in _runs_of(extra).findall(text):
        yield from run
        yield from (run[i : i + 2] for i in range(len(run) - 1))


def fold(text: str) -> str:
    """Full-width forms to ASCII (NFKC) and case folded: the form every comparison uses."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    folded = fold(char)
    return folded if len(folded) == 1 else char


def fold_in_place(text: str) -> str:
    """`fold`, character by character, so every position still points at the same character
    (one whose fold is longer, such as ㎡, stays as it is)."""
    return "".join(map(_fold_char, text))


T = TypeVar("T")
_WORD_CHAR = re.compile(r"[a-z0-9_]")


class PhraseIndex(Generic[T]):
    """Folded phrases → what each stands for, found inside a text leftmost-longest: the database
    values in a question, the synonyms and glossary terms it uses."""

    def __init__(self) -> None:
        self._payloads: dict[str, set[T]] = defaultdict(set)
        self._lengths: list[int] = []

    def __len__(self) -> int:
        return len(self._payloads)

    def __contains__(self, phrase: str) -> bool:
        return fold(phrase.strip()) in self._payloads

    def add(self, phrase: str, payload: T) -> None:
        key = fold(phrase.strip())
        if key:
            self._payloads[key].add(payload)
            if len(key) not in self._lengths:
                self._lengths = sorted([*self._lengths, len(key)], reverse=True)

    def payloads(self, phrase: str) -> set[T]:
        return self._payloads.get(fold(phrase.strip()), set())

    def find(self, text: str) -> Iterator[tuple[int, int, set[T]]]:
        """(start, end, payloads) of the non-overlapping occurrences in `text`, leftmost and
        longest first. A phrase that starts or ends with a letter or digit must not be glued
        to another one ("in" is not found in "join")."""
        folded = fold_in_place(text)
        start = 0
        while start < len(folded):
            end = self._longest_at(folded, start)
            if end is None:
                start += 1
                continue
            yield start, end, self._payloads[folded[start:end]]
            start = end

    def _longest_at(self, text: str, start: int) -> int | None:
        for length in self._lengths:
            end = start + length
            if end <= len(text) and text[start:end] in self._payloads:
                if not _glued(text, start, end):
                    return end
        return None


def _glued(text: str, start: int, end: int) -> bool:
    before = start > 0 and _WORD_CHAR.match(text[start - 1]) and _WORD_CHAR.match(text[start])
    after = end < len(text) and _WORD_CHAR.match(text[end - 1]) and _WORD_CHAR.match(text[end])
    return bool(before or after)


def no_nul(value: str) -> str:
    """Text that PostgreSQL can store: its text type cannot hold NUL (0x00), so input with one
    is refused up front with a 422 that says so, instead of failing in the database, where it
    would look like an outage (503)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


StorableText = Annotated[str, AfterValidator(no_nul)]
