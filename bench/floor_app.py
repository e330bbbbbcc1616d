"""The floor of our stack, for the streaming benchmark: the least a service built on it can do.

`python -m bench.floor_app --port P` serves `POST /v1/ask` with `{"question": ...}` the way our
service's stack must (FastAPI, a pydantic body, sse-starlette's `EventSourceResponse` with its
ping and send timeout, uvicorn, and the real DashScope SDK's blocking iterator in a thread of
its own per stream, feeding the event loop), and does nothing else: no schema, no examples, no
prompt beyond the seed's, no token count, no SQL guard, no `EXPLAIN`, no metrics, no logs, no
quotas, no ceiling. Its events are the seed's (bench/seed_app.py): a `thinking` per chunk of the
model's text, `sql` with the answer's ```sql block, `done`; `error` when the call fails.

Whatever our service spends beyond this one is the price of its features; what this one spends
is the price of the stack itself, which no work on our code can lower.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from bench.seed_model_call import call, event_of, last_events

_END = object()

app = FastAPI()


class Ask(BaseModel):
    question: str = Field(min_length=1)


def _read(question: str, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Any]) -> None:
    """The thread: the SDK's blocking iterator, each response handed to the event loop."""
    try:
        for response in call(question):
            loop.call_soon_threadsafe(queue.put_nowait, response)
    except Exception as exc:  # told to the client as an error event
        loop.call_soon_threadsafe(queue.put_nowait, exc)
    finally:
        loop.call_soon_threadsafe(queue.put_nowait, _END)


def _event(name: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(data, ensure_ascii=False), event=name)


async def _events(question: str) -> AsyncIterator[ServerSentEvent]:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    threading.Thread(
        target=_read, args=(question, asyncio.get_running_loop(), queue), daemon=True
    ).start()
    answer: list[str] = []
    while (response := await queue.get()) is not _END:
        if event := event_of(response, answer):
            yield _event(*event)
            if event[0] == "error":
                return
    for event in last_events(answer):
        yield _event(*event)


@app.post("/v1/ask")
async def ask(body: Ask) -> EventSourceResponse:
    # Our service's defaults: a heartbeat every 15 s, a stuck client dropped after 30 s.
    return EventSourceResponse(_events(body.question), ping=15, send_timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    # Ours runs on uvloop and httptools too (uvicorn picks them when installed), logs no access.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
