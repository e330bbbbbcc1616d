"""Threads for upstream reads: one per live call, reused, never a cap that makes a call wait."""

from __future__ import annotations

import threading

from tests.helpers.eventually import eventually_sync
from txt2sql_api.llm.threads import StreamThreads


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
    eventually_sync(lambda: threads.busy == 0, "the threads settle")
    # Idle threads end after idle_seconds: nothing outlives the burst.
    eventually_sync(lambda: threads.alive == 0, "the threads settle")


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
        eventually_sync(lambda: threads.busy == 0, "the threads settle")
    assert len(set(names)) == 1
    assert threads.alive == 1


def test_a_failing_call_leaves_the_thread_usable() -> None:
    threads = StreamThreads(name="test-stream", idle_seconds=5)

    def fail() -> None:
        raise RuntimeError("boom")

    threads.submit(fail)
    eventually_sync(lambda: threads.busy == 0, "the threads settle")
    done = threading.Event()
    threads.submit(done.set)
    assert done.wait(5)
