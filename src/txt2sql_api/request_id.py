"""A request id on every response and every log line, as pure ASGI middleware: Starlette's
BaseHTTPMiddleware would break disconnect detection on streams."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# The caller's key fingerprint, once access control has identified it (access.py).
caller_var: ContextVar[str] = ContextVar("caller", default="-")

# What a client may choose as its request id; anything else gets one made up.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
_ACCEPTED = re.compile(REQUEST_ID_PATTERN)


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

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
