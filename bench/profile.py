"""Where a loaded stream's server CPU goes: `python -m bench.run profile [--streams 200]` runs
the streams benchmark's service and stand-in, and records the server with py-spy while one
level of N concurrent streams runs. Writes the collapsed stacks beside the other results and
prints the functions that take the most time, on their own and with what they call."""

from __future__ import annotations

import collections
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.streams import Upstream, served

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
SAMPLES_PER_SECOND = 250
SHOWN = 25
ROUNDS = 3  # levels recorded one after another, for enough samples


def run(streams: int, upstream: Upstream, out: Path) -> dict[str, Any]:
    with served(upstream, most=streams) as live:
        recorder = subprocess.Popen(
            [
                PY_SPY,
                "record",
                "--pid",
                str(live.pid),
                "--format",
                "raw",
                "--rate",
                str(SAMPLES_PER_SECOND),
                "--output",
                str(out),
                "--nonblocking",
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            levels = [live.level(streams) for _ in range(ROUNDS)]
        finally:
            recorder.send_signal(2)  # SIGINT: py-spy writes what it has
            recorder.wait(timeout=60)
    return {
        "levels": [asdict(level) for level in levels],
        **summary(out.read_text(encoding="utf-8")),
    }


def summary(collapsed: str) -> dict[str, Any]:
    """Self and inclusive sample shares per function. Recorded with `--gil`: only the thread
    holding the GIL is sampled, which is where a Python server's CPU goes; a thread waiting on
    a socket has let go of it."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        frames = stack.split(";")
        if not frames:
            continue
        count = int(count_text)
        total += count
        own[_name(frames[-1])] += count
        for name in {_name(frame) for frame in frames}:
            inclusive[name] += count

    def shares(counter: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(SHOWN)]

    return {"busy_samples": total, "self": shares(own), "inclusive": shares(inclusive)}


def _name(frame: str) -> str:
    # "function (path/to/module.py:line)" → "function (module.py)"
    function, _, where = frame.partition(" (")
    return f"{function} ({Path(where.rsplit(':', 1)[0]).name})"


def markdown(result: dict[str, Any]) -> str:
    lines = [f"{result['busy_samples']} busy samples", "", "| self % | function |", "|---:|---|"]
    lines += [f"| {share} | `{name}` |" for name, share in result["self"]]
    lines += ["", "| inclusive % | function |", "|---:|---|"]
    lines += [f"| {share} | `{name}` |" for name, share in result["inclusive"]]
    return "\n".join(lines)
