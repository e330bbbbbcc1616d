"""Text as every part compares it: Chinese cut into characters and bigrams (it has no spaces to
split words on), width and case folded; and text that PostgreSQL can store."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

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


def no_nul(value: str) -> str:
    """Text that PostgreSQL can store: its text type cannot hold NUL (0x00), so input with one
    is refused up front with a 422 that says so, instead of failing in the database, where it
    would look like an outage (503)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


StorableText = Annotated[str, AfterValidator(no_nul)]
