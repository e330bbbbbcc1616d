"""Splits the model's answer, as it streams in, into reasoning text and fenced SQL blocks.

The model is asked to think aloud and then give one ```sql block, or, when the question is too
ambiguous to answer, one ```clarify block that asks back. Text is passed on as soon as
it cannot be part of a fence, so the user sees the reasoning at the speed the model writes it;
only a trailing run of backticks (a fence that may be starting) or an open fence line waiting
for its language is held back. Chunk boundaries never change the result: feeding the same text
in any pieces gives the same reasoning text and the same SQL blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from txt2sql_api.llm.base import ReasoningDelta

FENCE = "```"
SQL_LANGUAGES = frozenset({"", "sql", "postgresql", "postgres", "pgsql", "psql"})
CLARIFY_LANGUAGE = "clarify"


@dataclass(frozen=True)
class SqlBlock:
    sql: str
    closed: bool = True


@dataclass(frozen=True)
class ClarifyBlock:
    """The model's question back to the user, as the block's text."""

    text: str


# The answer's text before and around the fence is the model's reasoning, shown as such.
Parsed = ReasoningDelta | SqlBlock | ClarifyBlock


class _State(Enum):
    TEXT = "text"
    SQL = "sql"
    CLARIFY = "clarify"
    OTHER_CODE = "other_code"


def _backtick_tail(text: str) -> int:
    """How many trailing characters could be the start of a fence."""
    for size in (2, 1):
        if text.endswith("`" * size):
            return size
    return 0


class SqlStreamParser:
    """Feed it text as it arrives; it returns what can already be told apart."""

    def __init__(self) -> None:
        self._state = _State.TEXT
        self._pending = ""

    def feed(self, text: str) -> list[Parsed]:
        self._pending += text
        out: list[Parsed] = []
        while self._step(out):
            pass
        return out

    def finish(self) -> list[Parsed]:
        """The stream ended: whatever is held back is flushed, an open SQL block as unclosed."""
        out: list[Parsed] = []
        while True:
            while self._step(out):
                pass
            rest, self._pending = self._pending, ""
            if not rest:
                break
            if self._state is _State.SQL:
                _append_sql(out, rest, closed=False)
            elif self._state is _State.CLARIFY:
                _append_clarify(out, rest)
            elif self._state is _State.TEXT and rest.startswith(FENCE):
                # A fence line the stream ended on, e.g. "```sql SELECT 1".
                self._fence_line(out, rest[len(FENCE) :], closing_expected=False)
            else:
                _append_text(out, rest)
        self._state = _State.TEXT
        return out

    def _step(self, out: list[Parsed]) -> bool:
        """Consumes what it can of the pending text; True when it should be called again."""
        if self._state is _State.TEXT:
            return self._step_text(out)
        if self._state is _State.SQL:
            return self._step_sql(out)
        if self._state is _State.CLARIFY:
            return self._step_clarify(out)
        return self._step_other_code(out)

    def _step_text(self, out: list[Parsed]) -> bool:
        pending = self._pending
        start = pending.find(FENCE)
        if start == -1:
            self._emit_text_keeping_tail(out)
            return False
        line_end = pending.find("\n", start + len(FENCE))
        _append_text(out, pending[:start])
        if line_end == -1:
            self._pending = pending[start:]
            return False
        self._pending = pending[line_end + 1 :]
        self._fence_line(out, pending[start + len(FENCE) : line_end + 1], closing_expected=True)
        return True

    def _fence_line(self, out: list[Parsed], line: str, *, closing_expected: bool) -> None:
        """Handles the text after an opening fence up to the end of its line."""
        inner, fence, after = line.partition(FENCE)
        language, _, on_line = inner.strip().partition(" ")
        if language.lower() in SQL_LANGUAGES:
            if fence:  # "```sql SELECT 1```": the whole block on one line
                _append_sql(out, on_line, closed=True)
                self._pending = after + self._pending
            elif closing_expected:
                # Models sometimes start the SQL on the fence line itself: "```sql SELECT ...".
                self._pending = on_line + "\n" + self._pending
                self._state = _State.SQL
            else:
                _append_sql(out, on_line, closed=False)
        elif language.lower() == CLARIFY_LANGUAGE:
            if fence:
                _append_clarify(out, on_line)
                self._pending = after + self._pending
            else:
                self._pending = on_line + "\n" + self._pending
                self._state = _State.CLARIFY if closing_expected else _State.TEXT
                if not closing_expected:
                    _append_clarify(out, self._pending)
                    self._pending = ""
        elif fence:  # inline code such as ```x```: reasoning text
            _append_text(out, FENCE + inner + FENCE)
            self._pending = after + self._pending
        else:
            # Other code (a JSON sketch, a shell line) is part of the reasoning, fences and all.
            _append_text(out, FENCE + line)
            self._state = _State.OTHER_CODE if closing_expected else _State.TEXT

    def _step_sql(self, out: list[Parsed]) -> bool:
        end = self._pending.find(FENCE)
        if end == -1:
            return False
        _append_sql(out, self._pending[:end], closed=True)
        self._pending = self._pending[end + len(FENCE) :]
        self._state = _State.TEXT
        return True

    def _step_clarify(self, out: list[Parsed]) -> bool:
        end = self._pending.find(FENCE)
        if end == -1:
            return False
        _append_clarify(out, self._pending[:end])
        self._pending = self._pending[end + len(FENCE) :]
        self._state = _State.TEXT
        return True

    def _step_other_code(self, out: list[Parsed]) -> bool:
        end = self._pending.find(FENCE)
        if end == -1:
            self._emit_text_keeping_tail(out)
            return False
        _append_text(out, self._pending[: end + len(FENCE)])
        self._pending = self._pending[end + len(FENCE) :]
        self._state = _State.TEXT
        return True

    def _emit_text_keeping_tail(self, out: list[Parsed]) -> None:
        keep = _backtick_tail(self._pending)
        cut = len(self._pending) - keep
        _append_text(out, self._pending[:cut])
        self._pending = self._pending[cut:]


def _append_text(out: list[Parsed], text: str) -> None:
    if text:
        out.append(ReasoningDelta(text))


def _append_sql(out: list[Parsed], body: str, *, closed: bool) -> None:
    sql = body.strip()
    if sql:
        out.append(SqlBlock(sql, closed=closed))


def _append_clarify(out: list[Parsed], body: str) -> None:
    text = body.strip()
    if text:
        out.append(ClarifyBlock(text))
