"""Limits on HTTP requests before any of the app runs (so before access control): how big a
request's headers may be, how long a client may take to send them and its body, and how many
connections may be sending a request at once. Without them one client can hold a connection, a
worker's memory and the event loop with a slow or huge request it never finishes.

uvicorn's httptools protocol, with these checks added in its parser callbacks; `serve` runs it.
"""

from __future__ import annotations

from asyncio import TimerHandle, Transport
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from txt2sql_api.config import Settings

# How long a refused connection still reads (and drops) what the client sends: closing with
# unread data makes the kernel send a reset, which can destroy the refusal before the client
# reads it (the "lingering close" of nginx and Apache).
LINGER_SECONDS: Final = 2.0


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int
    header_timeout_seconds: float
    body_timeout_seconds: float
    max_pending_requests: int

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_header_bytes=settings.http_max_header_bytes,
            header_timeout_seconds=settings.http_header_timeout_seconds,
            body_timeout_seconds=settings.http_body_timeout_seconds,
            max_pending_requests=settings.http_max_pending_requests,
        )


class _Pending:
    """Connections sending a request now, shared by every connection of one server."""

    def __init__(self) -> None:
        self.count = 0


class LimitedHttpProtocol(HttpToolsProtocol):
    limits: ClassVar[HttpLimits]
    pending: ClassVar[_Pending]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._in_headers = False
        self._receiving = False
        self._deadline: TimerHandle | None = None
        self._lingering = False

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.pending.count >= self.limits.max_pending_requests:
            self._refuse(503, "too many requests being sent at once, retry shortly")
            return
        self._start_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_receiving()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(431, f"request headers over {self.limits.max_header_bytes} bytes")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._receiving:  # a kept-alive connection's next request
            self._start_request()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._arm(self.limits.body_timeout_seconds, "the request body")
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._arm(self.limits.body_timeout_seconds, "the request body")
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._stop_receiving()
        super().on_message_complete()

    def _start_request(self) -> None:
        self._receiving, self._in_headers, self._header_bytes = True, True, 0
        self.pending.count += 1
        self._arm(self.limits.header_timeout_seconds, "the request headers")

    def _stop_receiving(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._receiving:
            self._receiving = self._in_headers = False
            self.pending.count -= 1

    def _arm(self, seconds: float, what: str) -> None:
        """A deadline for the next piece of the request (rearmed by each piece of the body)."""
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(
            seconds, self._refuse, 408, f"{what} did not arrive within {seconds:g} s"
        )

    def _refuse(self, status: int, message: str) -> None:
        self._stop_receiving()
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            reason = {408: "Request Timeout", 431: "Request Header Fields Too Large"}.get(
                status, "Service Unavailable"
            )
            body = message.encode()
            self.transport.write(
                f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
        self._linger()

    def _linger(self) -> None:
        """Send the end of the stream, then drop what still comes until the client closes too."""
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self._lingering = True
        self.transport.write_eof()
        self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def limited_protocol(limits: HttpLimits) -> type[LimitedHttpProtocol]:
    """The protocol class for one server: its limits, and its own count of pending requests."""
    return type(
        "LimitedHttpProtocol",
        (LimitedHttpProtocol,),
        {"limits": limits, "pending": _Pending()},
    )
