"""How soon the upstream stops once clients go away (issue 6: within 1 s).

N streams are opened against `txt2sql-api serve`; once each has its first event, every
connection is closed at once, and the stand-in upstream is asked every few milliseconds how many
of its calls were cut off. The k-th call cut off gives the k-th figure: the time from the
hang-ups to the moment the upstream saw that call's connection close, so it stops generating
tokens nobody reads. The server's busy model-call threads (from /metrics) are read the same way:
the time until none is left.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from typing import Any

import aiohttp
import httpx
import uvloop

from bench.figures import percentile
from bench.streams import (
    ANSWER,
    QUESTION,
    Upstream,
    control_url_of,
    service_process,
    standin_process,
)
from tests.helpers.metrics_text import metric

# Long enough that no call ends by itself while the hang-ups are measured (~40 s of frames).
LONG_ANSWER = ANSWER * 40
POLL_SECONDS = 0.005
TIMEOUT_SECONDS = 30.0
MIN_SAMPLES = 20


@dataclass
class CancelLevel:
    streams: int
    cut_off_p50_ms: float
    cut_off_p99_ms: float
    cut_off_max_ms: float
    threads_freed_ms: float


async def _first_event(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientResponse:
    response = await session.post(url, json={"question": QUESTION})
    if response.status != 200:
        raise RuntimeError(f"stream refused: {response.status} {await response.text()}")
    async for line in response.content:
        if line.startswith(b"event:"):
            return response
    raise RuntimeError("the stream ended before its first event")


async def _aborted(client: httpx.AsyncClient) -> int:
    stats = (await client.get("/stats")).json()
    return int(stats["aborted"])


async def _busy_threads(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    return metric(text, "txt2sql_upstream_threads", state="busy")


async def _round(base_url: str, control_url: str, streams: int) -> tuple[list[float], float]:
    """Seconds from the hang-ups to each call's cut-off, and to no busy model thread."""
    async with (
        httpx.AsyncClient(base_url=control_url, timeout=10) as control,
        httpx.AsyncClient(base_url=base_url, timeout=10) as service,
    ):
        before = await _aborted(control)
        connector = aiohttp.TCPConnector(limit=streams, force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            url = f"{base_url}/v1/ask"
            responses = await asyncio.gather(*(_first_event(session, url) for _ in range(streams)))
            start = time.perf_counter()
            for response in responses:
                response.close()  # the connection goes with it, as a closed tab's does
        # Two watchers, so that a slow answer from the busy service does not slow the other.
        cut_offs, freed = await asyncio.gather(
            _watch_cut_offs(control, before, streams, start), _watch_threads(service, start)
        )
        return cut_offs, freed


async def _watch_cut_offs(
    control: httpx.AsyncClient, before: int, streams: int, start: float
) -> list[float]:
    """Each call's cut-off time, as the first answer from the stand-in that counts it (an upper
    bound, by at most one poll)."""
    cut_offs: list[float] = []
    while len(cut_offs) < streams:
        done = await _aborted(control) - before
        now = _since(start)
        cut_offs += [now] * (done - len(cut_offs))
        await asyncio.sleep(POLL_SECONDS)
    return cut_offs


async def _watch_threads(service: httpx.AsyncClient, start: float) -> float:
    while await _busy_threads(service) > 0:
        _since(start)
        await asyncio.sleep(POLL_SECONDS)
    return _since(start)


def _since(start: float) -> float:
    elapsed = time.perf_counter() - start
    if elapsed > TIMEOUT_SECONDS:
        raise TimeoutError(f"not over after {TIMEOUT_SECONDS} s")
    return elapsed


async def run_level(base_url: str, control_url: str, streams: int) -> CancelLevel:
    cut_offs: list[float] = []
    freed: list[float] = []
    for _ in range(-(-MIN_SAMPLES // streams)):
        times, free = await _round(base_url, control_url, streams)
        cut_offs += times
        freed.append(free)
    return CancelLevel(
        streams=streams,
        cut_off_p50_ms=round(percentile(cut_offs, 50) * 1000, 1),
        cut_off_p99_ms=round(percentile(cut_offs, 99) * 1000, 1),
        cut_off_max_ms=round(max(cut_offs) * 1000, 1),
        threads_freed_ms=round(max(freed) * 1000, 1),
    )


def run(levels: list[int], upstream: Upstream) -> list[CancelLevel]:
    with standin_process(upstream, LONG_ANSWER) as upstream_url:
        control_url = control_url_of(upstream_url)
        with service_process(upstream_url, max(levels)) as (base_url, _):
            return [uvloop.run(run_level(base_url, control_url, n)) for n in levels]


def report(levels: list[CancelLevel], upstream: Upstream) -> dict[str, Any]:
    return {"upstream": asdict(upstream), "levels": [asdict(level) for level in levels]}


def markdown(result: dict[str, Any]) -> str:
    rows = [
        "| streams closed at once | upstream cut off p50 (ms) | p99 (ms) | max (ms) "
        "| no busy model thread (ms) |",
        "|---:|---:|---:|---:|---:|",
    ]
    rows += [
        "| {streams} | {cut_off_p50_ms} | {cut_off_p99_ms} | {cut_off_max_ms} "
        "| {threads_freed_ms} |".format(**level)
        for level in result["levels"]
    ]
    return "\n".join(rows)
