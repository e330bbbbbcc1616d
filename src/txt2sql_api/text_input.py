"""Text that PostgreSQL can store. Its text type cannot hold NUL (0x00): input with one is
refused up front with a 422 that says so, instead of failing in the database, where it would
look like an outage (503)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


StorableText = Annotated[str, AfterValidator(no_nul)]
