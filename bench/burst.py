"""One burst level, repeated: `python -m bench.run burst [--streams 200] [--workers 2]
[--rounds 3]` sets our service against the seed's approach, taking turns (seed, ours, seed,
ours, ...), each turn a fresh stand-in and server that answer `BURSTS_PER_TURN` bursts of N
concurrent streams after one warm-up stream. A single burst's p99 moves by a third from one run
to the next on shared cores; the medians of many, measured in the same minutes, are what the
target's ratio is taken from."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from functools import partial
from typing import Any

from bench.baselines import baseline_process
from bench.streams import Level, Upstream, served, service_process

BURSTS_PER_TURN = 3
Server = Callable[[str, int], AbstractContextManager[tuple[str, int]]]


def _turn(server: Server, streams: int, upstream: Upstream) -> list[Level]:
    with served(upstream, server, streams) as live:
        return [live.level(streams) for _ in range(BURSTS_PER_TURN)]


def run(streams: int, workers: int, rounds: int, upstream: Upstream) -> dict[str, Any]:
    servers: dict[str, Server] = {
        "seed": partial(baseline_process, "seed"),
        "ours": partial(service_process, workers=workers),
    }
    bursts: dict[str, list[Level]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, server in servers.items():
            bursts[name] += _turn(server, streams, upstream)
    return {
        "streams": streams,
        "workers": workers,
        "bursts": {name: [asdict(level) for level in levels] for name, levels in bursts.items()},
        **{name: _medians(levels) for name, levels in bursts.items()},
    }


def _medians(levels: list[Level]) -> dict[str, float]:
    p99s = [level.first_event_p99_ms for level in levels]
    return {
        "first_event_p99_median_ms": round(statistics.median(p99s), 1),
        "first_event_p99_min_ms": min(p99s),
        "first_event_p99_max_ms": max(p99s),
        "first_event_p50_median_ms": round(
            statistics.median(level.first_event_p50_ms for level in levels), 1
        ),
        "failures": sum(level.failures for level in levels),
    }


def markdown(result: dict[str, Any]) -> str:
    ours, seed = result["ours"], result["seed"]
    ratio = ours["first_event_p99_median_ms"] / seed["first_event_p99_median_ms"]
    count = len(result["bursts"]["ours"])
    lines = [
        f"{count} bursts of {result['streams']} streams each; ours in "
        f"{result['workers']} worker(s)",
        "",
        "| server | first event p99, median (ms) | p99 range (ms) | p50, median (ms) | failures |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, medians in (("seed", seed), ("ours", ours)):
        lines.append(
            f"| {name} | {medians['first_event_p99_median_ms']} | "
            f"{medians['first_event_p99_min_ms']}–{medians['first_event_p99_max_ms']} | "
            f"{medians['first_event_p50_median_ms']} | {medians['failures']} |"
        )
    lines += ["", f"ours / seed, median p99: {ratio:.2f}×"]
    return "\n".join(lines)
