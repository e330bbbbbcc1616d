"""Pure ASGI middleware (Starlette's BaseHTTPMiddleware would break disconnect detection on
streams): a request id on every response and log line, and one access-log line and metric count
per request, written when it ends (a stream's when the stream ends). The query string is never
logged: it can carry a question or a token."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from txt2sql_api.observability.context import request_id_var
from txt2sql_api.observability.metrics import Metrics

logger = logging.getLogger("txt2sql_api.access")

# What a client may choose as its request id; anything else gets one made up.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
_ACCEPTED = re.compile(REQUEST_ID_PATTERN)
# Routes are counted by their template; paths that match no route share one label, so a
# scanner probing random paths cannot grow the metrics without bound.
UNMATCHED = "unmatched"


def _on_response_start(send: Send, start: Callable[[Message], None]) -> Send:
    """`send`, with `start` first shown the response's start message."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start(message)
        await send(message)

    return wrapped


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _ACCEPTED.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        def add_id(message: Message) -> None:
            headers = message.get("headers", [])
            message["headers"] = [*headers, (b"x-request-id", request_id.encode())]

        try:
            await self.app(scope, receive, _on_response_start(send, add_id))
        finally:
            request_id_var.reset(token)


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server sends when the app fails before responding

        def keep_status(message: Message) -> None:
            nonlocal status
            status = message["status"]

        try:
            await self.app(scope, receive, _on_response_start(send, keep_status))
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", UNMATCHED)
        self.metrics.http_requests.labels(scope["method"], route, str(status)).inc()
        logger.info(
            "%s %s %d",
            scope["method"],
            scope["path"],
            status,
            extra={
                "fields": {
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                }
            },
        )
