"""A TCP proxy in front of the test PostgreSQL that a test can break and mend, so database faults
can be injected without touching the shared server other tests use.

Modes: `up` forwards; `refuse` drops every new connection at once (a server that is down);
`blackhole` accepts and never answers (a host that vanished); `stall` also stops forwarding on
connections already open. `cut()` drops every open connection (what a restart does to clients).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.helpers.pg import socket_dir

Mode = Literal["up", "refuse", "blackhole", "stall"]


class TcpProxy:
    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self._target_url = target_url
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        # The embedded server listens on a Unix socket only.
        directory = socket_dir(target_url)
        self._socket = f"{directory}/.s.PGSQL.{parts.port or 5432}" if directory else None
        self.mode: Mode = "up"
        self.connections = 0
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The target's URL, through the proxy."""
        parts = urlsplit(self._target_url)
        netloc = parts.netloc.rpartition("@")
        host = f"127.0.0.1:{self.port}"
        query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "host"])
        return urlunsplit(parts._replace(netloc=f"{netloc[0]}{netloc[1]}{host}", query=query))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.cut()
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "refuse":
            writer.transport.abort()
            return
        self._open.add(writer)
        if self.mode in ("blackhole", "stall"):
            return  # held open, never answered, until cut()
        try:
            if self._socket:
                up_reader, up_writer = await asyncio.open_unix_connection(self._socket)
            else:
                up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._open.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                # The mode is flipped by the test at any time, from any thread: polled.
                while self.mode == "stall":  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
        self._open.discard(sink)


@contextlib.asynccontextmanager
async def proxy_to(target_url: str) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(target_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
