"""Keeps what this instance holds in memory (the example index, the glossary) in step with the
store in PostgreSQL that several instances share.

A dedicated connection LISTENs on the channel the store's trigger notifies at every commit that
changes it; each notification wakes a `sync`. Notifications are not
queued for a listener that is away, so the loop also syncs every `poll_seconds` (checking the
connection on the way) and right after each (re)connect: a lost connection or a missed
notification delays a change by at most that long, never loses it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from txt2sql_api.db.pool import DATABASE_ERRORS

logger = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 15.0


def listener_name(what: str) -> str:
    """The listening connection's `application_name`, as `pg_stat_activity` shows it."""
    return f"txt2sql-api-{what}-listener"


class StoreFollower:
    def __init__(
        self,
        what: str,
        sync: Callable[[], Awaitable[object]],
        dsn: str,
        channel: str,
        *,
        poll_seconds: float,
        connect_timeout: float,
    ) -> None:
        self._what = what
        self._sync = sync
        self._dsn = dsn
        self._channel = channel
        self._poll_seconds = poll_seconds
        self._connect_timeout = connect_timeout
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._connected = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        delay = RECONNECT_FIRST_SECONDS
        while True:
            self._connected = False
            try:
                await self._follow()
            except DATABASE_ERRORS as exc:
                logger.warning("following the %s failed, retrying: %r", self._what, exc)
            except Exception:
                logger.exception("following the %s failed, retrying", self._what)
            delay = RECONNECT_FIRST_SECONDS if self._connected else delay
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _follow(self) -> None:
        conn = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": listener_name(self._what)},
        )
        try:
            await conn.add_listener(self._channel, self._notified)
            conn.add_termination_listener(self._notified)
            self._connected = True
            while True:
                await self._sync()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
                except TimeoutError:
                    # A connection whose peer vanished says nothing until it is used.
                    await conn.execute("SELECT 1", timeout=self._connect_timeout)
                self._wake.clear()
                if conn.is_closed():
                    raise ConnectionResetError("the listening connection was closed")
        finally:
            with contextlib.suppress(*DATABASE_ERRORS):
                await asyncio.wait_for(conn.close(), self._connect_timeout)

    def _notified(self, *_: object) -> None:
        self._wake.set()
