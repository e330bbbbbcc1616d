"""What every benchmark reports the same way: milliseconds, percentiles, a markdown table."""

from __future__ import annotations

import statistics


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def percentile(samples: list[float], q: int) -> float:
    """The median for q = 50; otherwise the sample that q % of the samples are below (nearest
    rank, no interpolation: a p99 is a latency some request really had)."""
    ordered = sorted(samples)
    if q == 50:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, len(ordered) * q // 100)]


def percentiles(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": ms(percentile(samples, 50)),
        "p99_ms": ms(percentile(samples, 99)),
        "max_ms": ms(max(samples)),
    }


def table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measure | figure | target |", "|---|---:|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)
