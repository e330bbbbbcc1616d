"""Runs the benchmarks and writes their figures: `python -m bench.run [--streams 1,100]
[--provider dashscope|openai]` (both by default, side by side);
`python -m bench.run --workers 2 --provider dashscope` for our service in two worker processes,
`python -m bench.run seed [--streams 1,100]` for the same streams against the seed's approach,
`python -m bench.run floor [--streams 1,100]` against the floor of our stack,
`python -m bench.run compare` for the last three side by side,
`python -m bench.run cancel` for how soon the upstream stops once clients hang up,
`python -m bench.run burst [--streams 200] [--workers 2] [--rounds 3]` for one burst level
repeated, ours against the seed taking turns,
`python -m bench.run profile [--streams 200]` for where the server's CPU goes,
`python -m bench.run schema` for the schema benchmark, `python -m bench.run examples` for example
retrieval."""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from bench import attacks, baselines, burst, cancel, examples, profile, schema, streams

RESULTS = Path(__file__).resolve().parent / "results"
STREAMS_LEVELS = "1,100,200,500,1000"
CANCEL_LEVELS = "1,100,200"
PROFILE_STREAMS = "200"
BURST_STREAMS = "200"


def machine() -> str:
    cores = psutil.cpu_count(logical=True)
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.machine()}, {cores} cores, {memory:.0f} GiB, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        default="streams",
        choices=(
            "streams",
            *baselines.APPS,
            "compare",
            "cancel",
            "schema",
            "examples",
            "attacks",
            "burst",
            "profile",
        ),
    )
    parser.add_argument(
        "--streams",
        help=f"concurrency levels (streams, seed, floor: {STREAMS_LEVELS}; "
        f"cancel: {CANCEL_LEVELS})",
    )
    parser.add_argument("--first-token", type=float, default=0.2, help="upstream's own TTFT, s")
    parser.add_argument("--gap", type=float, default=0.1, help="upstream's gap between chunks, s")
    parser.add_argument(
        "--workers",
        type=int,
        help="streams, burst: our service in this many worker processes (TXT2SQL_WORKERS; "
        "burst: 2 unless given)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="burst: turns of each server (3 bursts a turn)"
    )
    parser.add_argument(
        "--provider",
        choices=streams.PROVIDERS,
        help="streams: only this provider's (default: both, in the same run)",
    )
    args = parser.parse_args()
    if args.which == "schema":
        write("schema", schema.run(), schema.markdown)
        return
    if args.which == "attacks":
        write("attacks", attacks.run(), attacks.markdown)
        return
    if args.which == "examples":
        write("examples", examples.run(), examples.markdown)
        return
    if args.which == "compare":
        runs = {"ours": read("streams"), "floor": read("floor"), "seed": read("seed")}
        if (RESULTS / "streams-workers2.json").exists():
            runs = {"ours, 1 worker": runs["ours"], "ours, 2 workers": read("streams-workers2")}
            runs |= {"floor": read("floor"), "seed": read("seed")}
        print(streams.side_by_side(runs))
        return

    upstream = streams.Upstream(args.first_token, args.gap)
    if args.which in baselines.APPS:
        levels = _levels(args.streams or STREAMS_LEVELS)
        result = baselines.run(args.which, levels, upstream)
        write(args.which, streams.report(result, upstream), streams.markdown)
        return
    if args.which == "burst":
        streams_n = int(args.streams or BURST_STREAMS)
        result = burst.run(streams_n, args.workers or 2, args.rounds, upstream)
        write(f"burst-{streams_n}", result, burst.markdown)
        return
    if args.which == "profile":
        streams_n = int(args.streams or PROFILE_STREAMS)
        collapsed = RESULTS / f"profile-{streams_n}.collapsed"
        write(f"profile-{streams_n}", profile.run(streams_n, upstream, collapsed), profile.markdown)
        return
    if args.which == "cancel":
        levels = _levels(args.streams or CANCEL_LEVELS)
        write("cancel", cancel.report(cancel.run(levels, upstream), upstream), cancel.markdown)
        return
    levels = _levels(args.streams or STREAMS_LEVELS)
    runs = {}
    for provider in [args.provider] if args.provider else streams.PROVIDERS:
        run = streams.run_provider(levels, upstream, provider, args.workers or 1)
        result = streams.report(run, upstream)
        # streams.json: DashScope's, the one `compare` sets against the seed and the floor.
        name = "streams" if provider == "dashscope" else f"streams-{provider}"
        if (args.workers or 1) != 1:
            name += f"-workers{args.workers}"
        if args.gap != parser.get_default("gap"):
            name += f"-gap{args.gap:g}"
        write(name, result, streams.markdown)
        runs[provider] = result
    if len(runs) > 1:
        print(streams.side_by_side(runs, streams.PROVIDER_COLUMNS))


def _levels(text: str) -> list[int]:
    return [int(n) for n in text.split(",")]


def read(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    return result


def write(name: str, result: dict[str, Any], markdown: Callable[[dict[str, Any]], str]) -> None:
    result["machine"] = machine()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {result['machine']}")
    print(markdown(result))


if __name__ == "__main__":
    main()
