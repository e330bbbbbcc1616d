"""Qwen on DashScope, streamed: the SDK's blocking iterator runs in a worker thread per stream
and feeds an async generator.

Why a thread of our own per stream: the SDK reads with `requests`, which blocks, and anyio's
shared thread limiter (40) would make stream 41 wait for stream 1 to finish. Why our own
`requests.Session` per stream: its sockets are tracked, so cancelling a stream shuts them down
and the thread's blocked read returns at once; the upstream then sees the connection close and
stops generating tokens we would pay for.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    total_tokens: int
    request_id: str


LlmChunk = TextDelta | ReasoningDelta | Usage


class UpstreamError(Exception):
    """The model call failed; `code` is ours (see README's error table), `upstream_code` theirs."""

    def __init__(
        self, code: str, message: str, *, retryable: bool, upstream_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.upstream_code = upstream_code


def missing_api_key() -> UpstreamError:
    return UpstreamError(
        "missing_api_key",
        "DASHSCOPE_API_KEY is not set: put it in the environment or .env and restart the service.",
        retryable=False,
    )


def classify_upstream_error(status: int, upstream_code: str | None) -> tuple[str, bool]:
    """Map DashScope's HTTP status and error code to our error code and whether a retry may help."""
    upstream_code = upstream_code or ""
    if status == 401 or upstream_code == "InvalidApiKey":
        return "upstream_unauthorized", False
    if upstream_code == "DataInspectionFailed":
        return "content_rejected", False
    if upstream_code == "Arrearage":
        return "upstream_billing", False
    if status == 429 or upstream_code.startswith("Throttling"):
        return "upstream_throttled", True
    if status >= 500:
        return "upstream_unavailable", True
    if status == 400 or upstream_code.startswith("InvalidParameter"):
        return "upstream_bad_request", False
    return "upstream_error", False


class _SocketTracker:
    """Sockets opened by one stream's worker thread, so another thread can shut them down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.aborted = False

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            if self.aborted:
                _shutdown(sock)
                raise ConnectionAbortedError("stream cancelled")
            self._sockets.append(sock)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    # shutdown(), unlike close(), wakes a recv() blocked in another thread.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_current = threading.local()


def _track_current(sock: socket.socket | None) -> None:
    tracker: _SocketTracker | None = getattr(_current, "tracker", None)
    if tracker is not None and sock is not None:
        tracker.track(sock)


class _TrackedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track_current(self.sock)


class _TrackedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track_current(self.sock)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _TrackedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackedHTTPPool,
            "https": _TrackedHTTPSPool,
        }


def _tracked_session() -> requests.Session:
    session = requests.Session()
    adapter = _TrackedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_END = object()

# Failures worth another try; never a bad key, moderated content, a bad request or billing.
RETRIED = frozenset({"upstream_throttled", "upstream_unavailable"})


class _UpstreamCall:
    """One model call on its own thread; items reach the event loop through an asyncio.Queue."""

    def __init__(self, call: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._call = call
        self._loop = loop
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self._tracker = _SocketTracker()
        self.thread = threading.Thread(target=self._run, name="dashscope-stream", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def abort(self) -> None:
        self._tracker.abort()

    def _deliver(self, item: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:
            pass  # the loop is closed: nobody is listening any more

    def _run(self) -> None:
        _current.tracker = self._tracker
        session = _tracked_session()
        try:
            for response in self._call(session):
                if self._tracker.aborted:
                    return
                self._deliver(response)
        except Exception as exc:  # every failure, whatever its type, ends the stream as an error
            if not self._tracker.aborted:
                self._deliver(exc)
        finally:
            session.close()
            self._deliver(_END)


class DashScopeClient:
    """Streams one chat completion as `LlmChunk`s; raises `UpstreamError` for every failure."""

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str,
        first_token_timeout: float,
        idle_timeout: float,
        retries: int = 0,
        retry_base_seconds: float = 0.25,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.first_token_timeout = first_token_timeout
        self.idle_timeout = idle_timeout
        self.retries = retries
        self.retry_base_seconds = retry_base_seconds

    def _sdk_call(self, messages: Sequence[dict[str, str]]) -> Any:
        import dashscope

        # The SDK types messages as its own Message class; plain role/content dicts are what it
        # sends on the wire either way.
        sdk_messages: Any = list(messages)

        def call(session: requests.Session) -> Any:
            return dashscope.Generation.call(
                model=self.model,
                messages=sdk_messages,
                api_key=self.api_key,
                stream=True,
                incremental_output=True,
                result_format="message",
                session=session,
                request_timeout=int(max(self.first_token_timeout, self.idle_timeout)) + 5,
            )

        return call

    async def stream(self, messages: Sequence[dict[str, str]]) -> AsyncIterator[LlmChunk]:
        """Retries a call that failed before its first chunk, when a retry may help (throttling,
        5xx, connection failures): nothing has reached the client yet, so nothing is repeated."""
        if not self.api_key:
            raise missing_api_key()
        for retry in range(self.retries + 1):
            started = False
            try:
                # aclosing: a consumer that stops early must abort this call now, not at GC.
                async with aclosing(self._one_call(messages)) as chunks:
                    async for chunk in chunks:
                        started = True
                        yield chunk
                return
            except UpstreamError as exc:
                if started or exc.code not in RETRIED or retry == self.retries:
                    raise
                delay = self.retry_base_seconds * 2**retry * random.uniform(0.5, 1.5)
                logger.warning("%s, retrying in %.2f s: %s", exc.code, delay, exc.message)
                await asyncio.sleep(delay)

    async def _one_call(self, messages: Sequence[dict[str, str]]) -> AsyncGenerator[LlmChunk, None]:
        upstream = _UpstreamCall(self._sdk_call(messages), asyncio.get_running_loop())
        upstream.start()
        try:
            async for chunk in self._chunks(upstream):
                yield chunk
        finally:
            upstream.abort()

    async def _chunks(self, upstream: _UpstreamCall) -> AsyncIterator[LlmChunk]:
        usage: Usage | None = None
        timeout = self.first_token_timeout
        while True:
            item = await _next_item(upstream.queue, timeout)
            if item is _END:
                break
            if isinstance(item, Exception):
                raise UpstreamError(
                    "upstream_unavailable", f"model call failed: {item}", retryable=True
                ) from item
            timeout = self.idle_timeout
            usage = _usage_of(item) or usage
            for chunk in _deltas_of(item):
                yield chunk
        if usage is not None:
            yield usage


async def _next_item(queue: asyncio.Queue[object], timeout: float) -> object:
    try:
        return await asyncio.wait_for(queue.get(), timeout)
    except TimeoutError:
        raise UpstreamError(
            "upstream_timeout",
            f"the model sent nothing for {timeout:g} s",
            retryable=True,
        ) from None


def _deltas_of(response: Any) -> list[LlmChunk]:
    if response.status_code != 200:
        code, retryable = classify_upstream_error(int(response.status_code), response.code)
        raise UpstreamError(
            code,
            f"DashScope {response.status_code} {response.code}: {response.message}",
            retryable=retryable,
            upstream_code=response.code,
        )
    chunks: list[LlmChunk] = []
    for choice in (response.output or {}).get("choices") or []:
        message = choice.get("message") or {}
        if reasoning := message.get("reasoning_content"):
            chunks.append(ReasoningDelta(reasoning))
        if isinstance(content := message.get("content"), str) and content:
            chunks.append(TextDelta(content))
    return chunks


def _usage_of(response: Any) -> Usage | None:
    usage = getattr(response, "usage", None)
    if not usage or getattr(response, "status_code", 0) != 200:
        return None
    input_tokens = int(usage.get("input_tokens") or 0)
    output_tokens = int(usage.get("output_tokens") or 0)
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=int(usage.get("total_tokens") or input_tokens + output_tokens),
        request_id=str(response.request_id or ""),
    )
