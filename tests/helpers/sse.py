"""A `/v1/ask` stream read as a client reads it: `(event, data)` pairs, in order."""

from __future__ import annotations

import json
from typing import Any

import httpx
from httpx_sse import aconnect_sse

Events = list[tuple[str, dict[str, Any]]]


async def collect(client: httpx.AsyncClient, method: str = "POST", **kwargs: Any) -> Events:
    events: Events = []
    async with aconnect_sse(client, method, "/v1/ask", **kwargs) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        async for sse in source.aiter_sse():
            events.append((sse.event, json.loads(sse.data)))
    return events


def names(events: Events) -> list[str]:
    return [name for name, _ in events]


def of(events: Events, name: str) -> list[dict[str, Any]]:
    return [data for event, data in events if event == name]
