"""Threads for upstream reads: one per live call, reused, never a cap that makes a call wait."""

from __future__ import annotations

import threading
import time

from txt2sql_api.stream_threads import StreamThreads


def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def test_every_live_call_gets_its_own_thread_at_once() -> None:
    threads = StreamThreads(name="test-stream", idle_seconds=0.1)
    release = threading.Event()
    running = threading.Semaphore(0)

    def call() -> None:
        running.release()
        release.wait()

    for _ in range(300):  # far past anyio's default limit of 40
        threads.submit(call)
    for _ in range(300):
        assert running.acquire(timeout=10), "a call waited for another one to end"
    assert threads.busy == 300
    release.set()
    wait_until(lambda: threads.busy == 0)
    # Idle threads end after idle_seconds: nothing outlives the burst.
    wait_until(lambda: threads.alive == 0)


def test_a_finished_calls_thread_takes_the_next_call() -> None:
    threads = StreamThreads(name="test-stream", idle_seconds=5)
    names: list[int] = []
    for _ in range(20):
        done = threading.Event()

        def call(done: threading.Event = done) -> None:
            names.append(threading.get_ident())
            done.set()

        threads.submit(call)
        assert done.wait(5)
        wait_until(lambda: threads.busy == 0)
    assert len(set(names)) == 1
    assert threads.alive == 2  # the one worker and its spawner


def test_a_failing_call_leaves_the_thread_usable() -> None:
    threads = StreamThreads(name="test-stream", idle_seconds=5)

    def fail() -> None:
        raise RuntimeError("boom")

    threads.submit(fail)
    wait_until(lambda: threads.busy == 0)
    done = threading.Event()
    threads.submit(done.set)
    assert done.wait(5)
