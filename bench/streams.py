"""Time to first event and stream health under concurrency, against a real `serve` process.

Three processes: a stand-in upstream (scripted time to first token and chunk gap), the
service (`txt2sql-api serve` on the demo database), and this one driving N concurrent streams.
The stand-in's own delays are subtracted, so the figures are the service's overhead.
`run` takes the server as a parameter: bench/baselines.py drives the seed's approach and the
floor of our stack the same way. The provider is DashScope's (its SDK in a thread per stream)
or an OpenAI-compatible server's (the openai SDK on the event loop), each with its own stand-in,
which sends the same frames at the same pace.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
import httpx
import psutil
import uvloop

from bench.figures import percentile
from tests.helpers.pg import Databases, admin_dsn, new_demo_database
from tests.helpers.serve_process import (
    CLI,
    free_port,
    listening,
    logged_process,
    serve_process,
)

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk-bench"
QUESTION = "沈塘桥地铁站的信息"
ANSWER = (
    "我理解您想查看沈塘桥站的基本信息，需要查询地铁站点表 dtzpt，按站点名称过滤。\n"
    "```sql\nSELECT * FROM dtzpt WHERE zdmc = '沈塘桥'\n```\n"
)
CHUNK = 8  # characters per upstream frame, as in the seed's measurement
MIN_SAMPLES = 20
Provider = Literal["dashscope", "openai"]
PROVIDERS: tuple[Provider, ...] = ("dashscope", "openai")


@dataclass
class Upstream:
    first_token_s: float
    gap_s: float

    @property
    def frames(self) -> int:
        return -(-len(ANSWER) // CHUNK)

    @property
    def total_s(self) -> float:
        return self.first_token_s + (self.frames - 1) * self.gap_s


@dataclass
class Level:
    streams: int
    first_event_p50_ms: float
    first_event_p99_ms: float
    # From a stream's request to its call reaching the upstream: the part of the first event
    # spent before the model is asked.
    upstream_call_p50_ms: float
    upstream_call_p99_ms: float
    total_p50_s: float
    upstream_total_s: float
    failures: int
    server_rss_mb: float
    server_threads: int
    server_cpu_s: float
    # The server's CPU time over the level's streams (several rounds at small levels).
    server_cpu_per_stream_ms: float
    driver_cpu_s: float


@contextmanager
def standin_process(
    upstream: Upstream, answer: str = ANSWER, provider: Provider = "dashscope"
) -> Iterator[str]:
    """The provider's stand-in as a process, answering every call with `answer` at the
    upstream's pace; yields its API base URL."""
    port = free_port()
    if provider == "openai":
        argv = [sys.executable, "-m", "tests.helpers.standin.openai_server"]
        api_path = "/v1"
    else:
        # No scripted questions: every call gets the default set below.
        argv = [CLI, "standin", "--answers", os.devnull]
        api_path = "/api/v1"
    argv += ["--port", str(port), "--api-key", API_KEY]
    with logged_process(
        argv, os.environ, lambda: listening(port), "stand-in", startup_timeout=10, cwd=ROOT
    ):
        upstream_url = f"http://127.0.0.1:{port}{api_path}"
        script = {
            "content": answer,
            "chunk_size": CHUNK,
            "first_delay": upstream.first_token_s,
            "gap": upstream.gap_s,
        }
        control_url = control_url_of(upstream_url)
        httpx.put(f"{control_url}/default", json=script, timeout=5).raise_for_status()
        yield upstream_url


def control_url_of(upstream_url: str) -> str:
    """The stand-in's control API beside its provider's API."""
    return urlsplit(upstream_url)._replace(path="/_standin").geturl()


@dataclass
class Stream:
    started: float  # wall clock, to set against the stand-in's arrival times
    first_s: float  # to the first event
    total_s: float  # to `done`
    ok: bool


async def one_stream(session: aiohttp.ClientSession, url: str) -> Stream:
    started = time.time()
    start = time.perf_counter()
    first = 0.0
    names: list[bytes] = []
    try:
        async with session.post(url, json={"question": QUESTION}) as response:
            if response.status != 200:
                return Stream(started, 0.0, 0.0, False)
            async for line in response.content:
                if line.startswith(b"event:"):
                    name = line[6:].strip()
                    # The model's first words: the `context` event before them comes from
                    # the service alone, and the seed's and the floor's streams have none.
                    if name == b"thinking" and not first:
                        first = time.perf_counter() - start
                    names.append(name)
    except (aiohttp.ClientError, TimeoutError):
        return Stream(started, 0.0, 0.0, False)
    ok = bool(names) and names[-1] == b"done" and b"error" not in names and b"sql" in names
    return Stream(started, first, time.perf_counter() - start, ok)


class Sampler:
    """The server's processes while a level runs (the parent and, with `--workers`, each
    worker): the largest one's peak RSS (the per-worker figure), their threads, their CPU time."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.rss = 0
        self.threads = 0
        self._cpu_start = {p.pid: _cpu(p) for p in self._processes()}

    def _processes(self) -> list[psutil.Process]:
        return [self.process, *self.process.children(recursive=True)]

    def cpu_seconds(self) -> float:
        spent = 0.0
        for process in self._processes():
            try:
                spent += _cpu(process) - self._cpu_start.get(process.pid, 0.0)
            except psutil.NoSuchProcess:
                continue
        return spent

    async def run(self) -> None:
        while True:
            threads = 0
            for process in self._processes():
                try:
                    self.rss = max(self.rss, process.memory_info().rss)
                    threads += process.num_threads()
                except psutil.NoSuchProcess:
                    continue
            self.threads = max(self.threads, threads)
            await asyncio.sleep(0.05)


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _own_cpu_seconds() -> float:
    return _cpu(psutil.Process())


async def upstream_call_delays(streams: list[Stream], control_url: str) -> list[float]:
    """Seconds from each stream's start to its call's arrival at the stand-in, pairing starts
    and arrivals in order (calls leave in the order their streams came, rounds one after the
    other): a distribution, not a per-stream trace."""
    async with httpx.AsyncClient(timeout=60) as control:
        arrivals = (await control.get(f"{control_url}/requests")).json()[-len(streams) :]
    received = sorted(call["received"] for call in arrivals)
    return [r - s for s, r in zip(sorted(s.started for s in streams), received, strict=True)]


async def run_level(
    base_url: str, pid: int, control_url: str, streams: int, upstream: Upstream
) -> Level:
    # aiohttp, not httpx: the driver must cost far less CPU than what it measures, and on two
    # shared cores httpx's per-event overhead was larger than the server's own.
    connector = aiohttp.TCPConnector(limit=streams)
    timeout = aiohttp.ClientTimeout(total=120)
    sampler = Sampler(pid)
    driver_cpu = _own_cpu_seconds()
    sampling = asyncio.create_task(sampler.run())
    results: list[Stream] = []
    url = f"{base_url}/v1/ask"
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Small levels run several rounds, so that every percentile rests on enough samples.
        for _ in range(-(-MIN_SAMPLES // streams)):
            results += await asyncio.gather(*(one_stream(session, url) for _ in range(streams)))
    sampling.cancel()
    good = [r for r in results if r.ok]
    firsts = [r.first_s - upstream.first_token_s for r in good] or [float("nan")]
    totals = [r.total_s for r in good] or [float("nan")]
    calls = await upstream_call_delays(results, control_url)
    server_cpu = sampler.cpu_seconds()
    return Level(
        streams=streams,
        first_event_p50_ms=round(percentile(firsts, 50) * 1000, 1),
        first_event_p99_ms=round(percentile(firsts, 99) * 1000, 1),
        upstream_call_p50_ms=round(percentile(calls, 50) * 1000, 1),
        upstream_call_p99_ms=round(percentile(calls, 99) * 1000, 1),
        total_p50_s=round(statistics.median(totals), 3),
        upstream_total_s=round(upstream.total_s, 3),
        failures=len(results) - len(good),
        server_rss_mb=round(sampler.rss / 2**20, 1),
        server_threads=sampler.threads,
        server_cpu_s=round(server_cpu, 2),
        server_cpu_per_stream_ms=round(server_cpu / len(results) * 1000, 2),
        driver_cpu_s=round(_own_cpu_seconds() - driver_cpu, 2),
    )


# Runs a server answering `POST /v1/ask` through the upstream at the given URL, ready for
# streams up to the given level; yields its base URL and process id (the sampler watches it).
Server = Callable[[str, int], AbstractContextManager[tuple[str, int]]]


@contextmanager
def service_process(
    upstream_url: str, most: int, provider: Provider = "dashscope", workers: int = 1
) -> Iterator[tuple[str, int]]:
    """Our service: `txt2sql-api serve` on a throwaway demo database, its quotas above `most`,
    its model calls going to the provider's stand-in, in `workers` processes."""
    with admin_dsn() as admin:
        databases = Databases(admin)
        database_url = asyncio.run(new_demo_database(databases))
        try:
            env = service_env(database_url, upstream_url, most, provider) | {
                "TXT2SQL_WORKERS": str(workers)
            }
            with serve_process(env) as (base_url, process):
                yield base_url, process.pid
        finally:
            asyncio.run(databases.drop_all())


def service_env(
    database_url: str, upstream_url: str, most: int, provider: Provider
) -> dict[str, str]:
    """The service's environment for up to `most` streams from the driver."""
    if provider == "openai":
        model = {
            "TXT2SQL_PROVIDER": "openai",
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": upstream_url,
        }
    else:
        model = {"DASHSCOPE_API_KEY": API_KEY, "DASHSCOPE_HTTP_BASE_URL": upstream_url}
    return {
        "DATABASE_URL": database_url,
        **model,
        "TXT2SQL_MAX_STREAMS": str(most + 100),
        # The driver asks a demo question: a verified one, which reuse would answer without
        # the model call being measured.
        "TXT2SQL_REUSE_EXAMPLES": "false",
        # The driver is one open-mode caller: its quotas must not be what is measured.
        "TXT2SQL_MAX_STREAMS_PER_KEY": str(most + 100),
        "TXT2SQL_RATE_LIMIT_PER_MINUTE": "1000000",
        "TXT2SQL_RATE_LIMIT_BURST": str(10 * most),
        "TXT2SQL_DB_POOL_MAX": "20",
        "TXT2SQL_LOG_LEVEL": "WARNING",
    }


@dataclass
class Run:
    levels: list[Level]
    # The upstream's own first frame as an SDK client calling it directly sees it, its
    # scripted delay subtracted: the floor of the first-event figures at N = 1.
    direct_first_frame_ms: float


@dataclass(frozen=True)
class Served:
    """A server under test, warmed up, and the stand-in it calls."""

    base_url: str
    pid: int
    upstream_url: str
    upstream: Upstream

    def level(self, streams: int) -> Level:
        control_url = control_url_of(self.upstream_url)
        return uvloop.run(run_level(self.base_url, self.pid, control_url, streams, self.upstream))


@contextmanager
def served(
    upstream: Upstream,
    server: Server = service_process,
    most: int = 1,
    provider: Provider = "dashscope",
) -> Iterator[Served]:
    """The provider's stand-in and `server` on it (quotas above `most` streams), after one
    warm-up stream: ours loads its schema snapshot and example index lazily."""
    with (
        standin_process(upstream, provider=provider) as upstream_url,
        server(upstream_url, most) as (base_url, pid),
    ):
        live = Served(base_url, pid, upstream_url, upstream)
        live.level(1)
        yield live


def run(
    levels: list[int],
    upstream: Upstream,
    server: Server = service_process,
    provider: Provider = "dashscope",
) -> Run:
    with served(upstream, server, max(levels), provider) as live:
        measured = [live.level(n) for n in levels]
        return Run(measured, direct_first_frame_ms(live.upstream_url, upstream, provider))


def run_provider(
    levels: list[int], upstream: Upstream, provider: Provider, workers: int = 1
) -> Run:
    """Our service on the provider's stand-in, in `workers` processes."""
    server = partial(service_process, provider=provider, workers=workers)
    return run(levels, upstream, server, provider)


def _sdk_call(provider: Provider, upstream_url: str) -> Callable[[], Iterator[Any]]:
    """A streamed call of the provider's own SDK to the stand-in, as its iterator of frames."""
    messages: Any = [{"role": "user", "content": QUESTION}]
    if provider == "openai":
        import openai

        client = openai.OpenAI(api_key=API_KEY, base_url=upstream_url, max_retries=0)
        return lambda: iter(
            client.chat.completions.create(
                model="qwen-plus",
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    import dashscope

    dashscope.base_http_api_url = upstream_url
    return lambda: iter(
        dashscope.Generation.call(
            model="qwen-plus",
            messages=messages,
            api_key=API_KEY,
            stream=True,
            incremental_output=True,
            result_format="message",
        )
    )


def _first_frame_s(call: Callable[[], Iterator[Any]]) -> float:
    start = time.perf_counter()
    frames = call()
    next(frames)
    first = time.perf_counter() - start
    for _ in frames:  # the rest of the answer, so the stand-in ends the call
        pass
    return first


def direct_first_frame_ms(
    upstream_url: str,
    upstream: Upstream,
    provider: Provider = "dashscope",
    calls: int = MIN_SAMPLES,
) -> float:
    """p50 of the SDK's own first frame, calling the stand-in directly (no service between),
    one call at a time, minus the scripted first-token delay."""
    call = _sdk_call(provider, upstream_url)
    firsts = [_first_frame_s(call) - upstream.first_token_s for _ in range(calls)]
    return round(statistics.median(firsts) * 1000, 1)


def report(result: Run, upstream: Upstream) -> dict[str, Any]:
    return {
        "upstream": {**asdict(upstream), "frames": upstream.frames, "chunk_chars": CHUNK},
        "direct_first_frame_ms": result.direct_first_frame_ms,
        "levels": [asdict(level) for level in result.levels],
    }


def markdown(result: dict[str, Any]) -> str:
    rows = [
        "| streams | first event p50 (ms) | p99 (ms) | upstream call p50 (ms) | p99 (ms) "
        "| total p50 (s) | upstream total (s) "
        "| failures | server RSS (MB) | threads | server CPU (s) | per stream (ms) "
        "| driver CPU (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result["levels"]:
        rows.append(
            "| {streams} | {first_event_p50_ms} | {first_event_p99_ms} | {upstream_call_p50_ms} "
            "| {upstream_call_p99_ms} | {total_p50_s} "
            "| {upstream_total_s} | {failures} | {server_rss_mb} | {server_threads} "
            "| {server_cpu_s} | {server_cpu_per_stream_ms} | {driver_cpu_s} |".format(**level)
        )
    rows.append(
        f"\nThe upstream's own first frame, called directly by the SDK, one call at a time: "
        f"{result['direct_first_frame_ms']} ms p50 beyond its scripted delay."
    )
    return "\n".join(rows)


SERVER_COLUMNS = [
    ("first event p50 / p99 (ms)", "{first_event_p50_ms} / {first_event_p99_ms}"),
    ("total p50 (s)", "{total_p50_s}"),
    ("server CPU (s)", "{server_cpu_s}"),
    ("server RSS (MB)", "{server_rss_mb}"),
    ("failures", "{failures}"),
]
# The providers compared: the same figures, and per stream what a thread per stream costs.
PROVIDER_COLUMNS = [
    SERVER_COLUMNS[0],
    ("server CPU per stream (ms)", "{server_cpu_per_stream_ms}"),
    ("threads", "{server_threads}"),
    *SERVER_COLUMNS[3:],
]


def side_by_side(
    results: dict[str, dict[str, Any]], columns: list[tuple[str, str]] = SERVER_COLUMNS
) -> str:
    """One table of several servers' runs (name → `report`), level by level: by default first
    event p50 / p99 (ms), server CPU (s), server RSS (MB), failures; the levels all of them
    ran."""
    names = list(results)
    header = ["streams"] + [f"{name}: {title}" for title, _ in columns for name in names]
    rows = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
    by_name = {name: {lv["streams"]: lv for lv in r["levels"]} for name, r in results.items()}
    for n in sorted(set.intersection(*(set(levels) for levels in by_name.values()))):
        cells = [str(n)]
        cells += [cell.format(**by_name[name][n]) for _, cell in columns for name in names]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
