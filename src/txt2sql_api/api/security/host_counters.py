"""The quota counters the workers of one host share when there is no Redis: one SQLite file
in the directory the parent made for them (`serve --workers N`).

SQLite because it is in the standard library, needs no server, and serialises writers across
processes with a file lock: each check is one short `BEGIN IMMEDIATE` transaction, run off the
event loop. Nothing in it outlives the parent, which starts each run with a fresh directory:
the counters of workers that died go with it, and a lease of one that died mid-stream runs out
as Redis's do."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    key TEXT PRIMARY KEY, tokens REAL NOT NULL, stamp REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    lease_id TEXT PRIMARY KEY, key TEXT NOT NULL, expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_key ON leases (key, expires);
"""
HOST_COUNTERS_FILE = "quotas.sqlite"
# Every this many takes, the buckets that have refilled are forgotten.
_SWEEP_EVERY = 1000


class HostCounters:
    failures: tuple[type[Exception], ...] = (sqlite3.Error, OSError)

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._takes = 0
        # isolation_level=None: the transactions are this module's own BEGIN IMMEDIATE.
        self._db = sqlite3.connect(path, timeout=2.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # The counters are worth nothing after a crash of the host: no need to wait for a disk.
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    async def take(self, key: str, rate_per_second: float, burst: int) -> float:
        return await self._run(self._take, key, rate_per_second, burst)

    async def acquire(self, key: str, cap: int, lease_id: str, lease_seconds: float) -> bool:
        return await self._run(self._acquire, key, cap, lease_id, lease_seconds)

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> None:
        await self._run(self._renew, key, lease_id, lease_seconds)

    async def release(self, key: str, lease_id: str) -> None:
        await self._run(self._release, key, lease_id)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        # The default executor, not the service's CPU thread: a quota check must not wait
        # behind a long parse.
        return await asyncio.to_thread(self._transaction, work, *args)

    def _transaction(self, work: Callable[..., T], *args: object) -> T:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self.clock(), *args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def _take(self, now: float, key: str, rate: float, burst: int) -> float:
        row = self._db.execute("SELECT tokens, stamp FROM buckets WHERE key = ?", (key,)).fetchone()
        tokens, stamp = row if row else (float(burst), now)
        tokens = min(float(burst), tokens + max(0.0, now - stamp) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
        self._db.execute(
            "INSERT INTO buckets VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, stamp = excluded.stamp",
            (key, tokens, now),
        )
        self._takes += 1
        if self._takes % _SWEEP_EVERY == 0:
            self._db.execute("DELETE FROM buckets WHERE stamp < ?", (now - burst / rate - 1,))
        return wait

    def _acquire(self, now: float, key: str, cap: int, lease_id: str, seconds: float) -> bool:
        self._db.execute("DELETE FROM leases WHERE key = ? AND expires <= ?", (key, now))
        (held,) = self._db.execute("SELECT count(*) FROM leases WHERE key = ?", (key,)).fetchone()
        if held >= cap:
            return False
        self._db.execute("INSERT INTO leases VALUES (?, ?, ?)", (lease_id, key, now + seconds))
        return True

    def _renew(self, now: float, key: str, lease_id: str, seconds: float) -> None:
        # A lease that lapsed is not brought back, as in Redis.
        self._db.execute(
            "UPDATE leases SET expires = ? WHERE lease_id = ? AND key = ? AND expires > ?",
            (now + seconds, lease_id, key, now),
        )

    def _release(self, _now: float, key: str, lease_id: str) -> None:
        self._db.execute("DELETE FROM leases WHERE lease_id = ? AND key = ?", (lease_id, key))
