"""`python -m bench.run burst`: the seed and ours take turns, each turn a fresh stand-in and
server, and the figures are the medians of every burst."""

from __future__ import annotations

import pytest

from bench import burst
from bench.streams import Upstream

pytestmark = pytest.mark.slow


def test_each_server_answers_its_bursts_and_the_medians_come_from_them() -> None:
    result = burst.run(streams=2, workers=2, rounds=1, upstream=Upstream(0.05, 0.005))

    for name in ("seed", "ours"):
        bursts = result["bursts"][name]
        assert len(bursts) == burst.BURSTS_PER_TURN
        assert all(level["streams"] == 2 and level["failures"] == 0 for level in bursts)
        p99s = sorted(level["first_event_p99_ms"] for level in bursts)
        medians = result[name]
        assert medians["first_event_p99_median_ms"] == round(p99s[1], 1)
        assert (medians["first_event_p99_min_ms"], medians["first_event_p99_max_ms"]) == (
            p99s[0],
            p99s[-1],
        )
    ours, seed = (result[name]["first_event_p99_median_ms"] for name in ("ours", "seed"))
    ratio = ours / seed
    assert f"ours / seed, median p99: {ratio:.2f}×" in burst.markdown(result)
