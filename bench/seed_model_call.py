"""What the two comparison servers of the streaming benchmark share (bench/seed_app.py, the
seed's approach; bench/floor_app.py, the floor of our stack): the model call and the reading of
its answer, the seed's way, so both ask the upstream the same thing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from dashscope import Generation

MODEL = "qwen-plus"
SYSTEM_PROMPT = (
    "You are an expert PostgreSQL analyst. Explain briefly how you understand the question, "
    "then give exactly one ```sql fenced code block with one read-only SELECT."
)
# An SSE event: its name and its data.
Event = tuple[str, dict[str, Any]]
SQL_BLOCK = re.compile(r"```sql\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def call(question: str) -> Iterator[Any]:
    """The SDK's blocking streaming call, configured from the environment as ours is:
    `DASHSCOPE_API_KEY`, and `DASHSCOPE_HTTP_BASE_URL` for where the request goes."""
    responses: Iterator[Any] = Generation.call(
        model=MODEL,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": question},
        ],
        api_key=os.environ.get("DASHSCOPE_API_KEY"),
        stream=True,
        incremental_output=True,
        result_format="message",
    )
    return responses


def event_of(response: Any, answer: list[str]) -> Event | None:
    """The event one of the call's responses makes, its text added to `answer`: an `error` (the
    stream ends), a `thinking` with the text, or none when it carries no text."""
    if isinstance(response, Exception):
        return "error", {"code": type(response).__name__, "message": str(response)}
    if response.status_code != 200:
        return "error", {"code": response.code, "message": response.message}
    choices = (response.output or {}).get("choices") or []
    text = "".join((choice.get("message") or {}).get("content") or "" for choice in choices)
    if not text:
        return None
    answer.append(text)
    return "thinking", {"delta": text}


def last_events(answer: list[str]) -> list[Event]:
    """The events after the whole answer: `sql` with its ```sql block's query, then `done`; or
    an `error` when it has none."""
    match = SQL_BLOCK.search("".join(answer))
    if match is None:
        return [("error", {"code": "no_sql", "message": "the answer has no ```sql block"})]
    return [("sql", {"sql": match.group(1).strip()}), ("done", {})]
