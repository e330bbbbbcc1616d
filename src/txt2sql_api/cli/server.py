"""The uvicorn server of `serve`, the same for one process and for each worker."""

from __future__ import annotations

import asyncio
import logging
import socket
from types import FrameType

import uvicorn
from sse_starlette.sse import AppStatus

from txt2sql_api.api.http_limits import HttpLimits, limited_protocol
from txt2sql_api.app import create_app
from txt2sql_api.config import Settings
from txt2sql_api.shutdown import Drain

logger = logging.getLogger(__name__)


def _config(settings: Settings, drain: Drain, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, drain),
        host=host,
        port=port,
        http=limited_protocol(HttpLimits.from_settings(settings)),
        log_config=None,
        # The service logs each request itself (logs.py), without query strings: they carry
        # questions and stream tokens.
        access_log=False,
        # Past the answers' own grace: a stream stuck in a send cannot hold the exit forever.
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) + 5,
    )


class DrainingServer(uvicorn.Server):
    """uvicorn, whose shutdown first tells every answer in flight to end (`Drain`), then, once
    the grace is over, cuts off every connection still open.

    sse-starlette's own drain is switched off: it cuts every SSE response it did not make
    itself at the moment it tells the others, and the MCP SDK's responses are such, so an `ask`
    tool call in flight would lose its answer, `shutting_down`, with the connection.
    """

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self._drain = Drain()
        self._grace = settings.shutdown_grace_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._draining: asyncio.Task[None] | None = None
        super().__init__(_config(settings, self._drain, host, port))
        AppStatus.enable_automatic_graceful_drain = False

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # A signal handler runs between any two bytecodes: the drain starts on the loop.
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._begin_draining)

    def _begin_draining(self) -> None:
        if self._draining is None:
            self._drain.begin()
            self._draining = asyncio.create_task(self._cut_off_after_grace())

    async def _cut_off_after_grace(self) -> None:
        """uvicorn exits as soon as the last connection has closed; what is still open after the
        grace is aborted, even a connection whose client stopped reading, whose unsent bytes
        would hold a plain close (and the exit) until uvicorn's own deadline."""
        await asyncio.sleep(self._grace)
        still_open = list(self.server_state.connections)
        if still_open:
            logger.warning(
                "%d connection(s) still open after %g s of grace: cut off",
                len(still_open),
                self._grace,
            )
        for connection in still_open:
            connection.transport.abort()
