"""bench/profile.py's reading of py-spy's collapsed stacks."""

from __future__ import annotations

from bench.profile import summary

COLLAPSED = """\
main (txt2sql_api/cli/main.py:1);run (asyncio/runners.py:2);_encode (txt2sql_api/ask.py:3) 6
main (txt2sql_api/cli/main.py:1);run (asyncio/runners.py:2) 2
_bootstrap (threading.py:9);readinto (socket.py:7) 2
"""


def test_shares_are_of_all_samples_on_their_own_and_with_their_callees() -> None:
    result = summary(COLLAPSED)
    assert result["busy_samples"] == 10
    assert result["self"][:3] == [
        ("_encode (ask.py)", 60.0),
        ("run (runners.py)", 20.0),
        ("readinto (socket.py)", 20.0),
    ]
    inclusive = dict(result["inclusive"])
    assert inclusive["main (main.py)"] == 80.0 and inclusive["run (runners.py)"] == 80.0
