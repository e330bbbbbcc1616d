"""The drain: every answer in flight is told at once, and one that starts later is born told."""

from __future__ import annotations

from txt2sql_api.shutdown import Drain


def test_begin_sets_the_signal_of_every_answer_in_flight_and_wakes_its_wait() -> None:
    drain, woken = Drain(), []
    with drain.signal() as first, drain.signal() as second:
        first.wake_with(lambda: woken.append("first"))
        assert not first.is_set() and not second.is_set()
        drain.begin()
        assert first.is_set() and second.is_set()
    assert woken == ["first"]


def test_an_answer_that_starts_after_the_drain_began_is_told_at_once() -> None:
    drain = Drain()
    drain.begin()
    with drain.signal() as late:
        assert late.is_set()


def test_an_answer_that_ended_is_not_told() -> None:
    drain = Drain()
    with drain.signal() as ended:
        pass
    with drain.signal() as running:
        drain.begin()
    assert not ended.is_set() and running.is_set()
