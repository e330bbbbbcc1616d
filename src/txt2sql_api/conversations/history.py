"""What a follow-up question is told of the turns before it: a `<conversation>` data block for
the prompt, counted in Qwen tokens and trimmed oldest-first to its budget, and what schema
linking and example retrieval read besides the follow-up itself ("那上海呢？" names no table)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from txt2sql_api.conversations.store import Turn
from txt2sql_api.llm.qwen_tokens import count_tokens
from txt2sql_api.schema.pruning import Hint
from txt2sql_api.schema.render import quote_data
from txt2sql_api.sql.guard import tables_of

# A result's first rows go into the block only when they are few and small.
PREVIEW_ROWS = 5
PREVIEW_BYTES = 800


@dataclass(frozen=True)
class History:
    turns: tuple[Turn, ...]
    turn_limit: int
    token_budget: int

    def prompt_block(self) -> str:
        """The last turns, each as data, dropping the oldest until the budget holds them."""
        rendered = [render_turn(t) for t in self.turns[-self.turn_limit :]]
        while rendered and count_tokens("\n".join(rendered)) > self.token_budget:
            rendered.pop(0)
        return "\n".join(rendered)

    def linking_text(self, question: str) -> str:
        """The follow-up with the earlier questions, for schema linking and retrieval."""
        earlier = [t.question for t in self.turns[-self.turn_limit :]]
        return "\n".join([*earlier, question])

    def hint(self) -> Hint:
        """The tables of the earlier turns' SQL, for the follow-up's candidates."""
        tables = [
            table
            for turn in reversed(self.turns[-self.turn_limit :])
            if turn.sql
            for table in tables_of(turn.sql)
        ]
        return Hint("the conversation's earlier SQL", tuple(dict.fromkeys(tables)))


def preview(turn: Turn) -> str:
    if not turn.preview or len(turn.preview) > PREVIEW_ROWS:
        return ""
    text = json.dumps([list(r) for r in turn.preview], ensure_ascii=False, default=str)
    return text if len(text.encode()) <= PREVIEW_BYTES else ""


def render_turn(turn: Turn) -> str:
    lines = [f"Earlier question: {quote_data(turn.question)}"]
    if turn.clarify:
        lines.append(f"  You asked back: {quote_data(turn.clarify)}")
    if turn.sql:
        lines.append(f"  Its SQL: {quote_data(turn.sql)}")
        if not turn.valid:
            lines.append("  That SQL was refused.")
        elif turn.ran:
            outcome = f"  It ran: {turn.row_count} rows"
            if turn.columns:
                outcome += f"; columns {', '.join(map(quote_data, turn.columns))}"
            if rows := preview(turn):
                outcome += f"; rows {quote_data(rows)}"
            lines.append(outcome)
    elif not turn.clarify:
        lines.append("  It got no SQL.")
    return "\n".join(lines)
