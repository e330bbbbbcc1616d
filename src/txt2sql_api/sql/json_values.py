"""PostgreSQL values as JSON: whatever a query returns, the stream can carry it.

Numbers stay numbers where JSON can hold them exactly; everything else becomes the text a
PostgreSQL client would show, so a strange value never breaks the stream.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from asyncpg import Range, Record


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _special_float(value)
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _interval(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()  # PostgreSQL's bytea hex format
    if isinstance(value, Range):
        return _range(value)
    if isinstance(value, Record | Mapping):  # composite types
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):  # arrays
        return [json_safe(v) for v in value]
    return str(value)  # UUID, inet, cidr, money, bit strings, geometry...


def _special_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _decimal(value: Decimal) -> int | float | str:
    if not value.is_finite():
        return _special_float(float(value))
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    as_float = float(value)
    # Only where the float says exactly the same number; else the digits, as text.
    return as_float if Decimal(repr(as_float)) == value else str(value)


def _interval(value: dt.timedelta) -> str:
    """ISO 8601 duration, e.g. P1DT2H3M4.5S (asyncpg gives intervals as timedelta)."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    second_text = f"{seconds + value.microseconds / 1e6:g}"
    time = "".join(
        f"{amount}{unit}"
        for amount, unit in ((hours, "H"), (minutes, "M"), (second_text, "S"))
        if amount not in (0, "0")
    )
    text = (f"{value.days}D" if value.days else "") + (f"T{time}" if time else "")
    return f"{sign}P{text or 'T0S'}"


def _range(value: Range[Any]) -> dict[str, Any]:
    return {
        "lower": json_safe(value.lower),
        "upper": json_safe(value.upper),
        "lower_inc": value.lower_inc,
        "upper_inc": value.upper_inc,
        "empty": value.isempty,
    }
