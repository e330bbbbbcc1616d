"""Qwen on DashScope, streamed: the SDK's blocking iterator runs in a worker thread per stream
and feeds an async generator.

Why a thread of our own per stream: the SDK reads with `requests`, which blocks, and anyio's
shared thread limiter (40) would make stream 41 wait for stream 1 to finish. The sessions the
SDK reads with are ours (`transport`), so a cancelled stream's read returns at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import threading
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import requests

from txt2sql_api.config import Settings
from txt2sql_api.llm.base import (
    LlmChunk,
    Messages,
    ReasoningDelta,
    TextDelta,
    UpstreamError,
    Usage,
    coalesced,
    missing_api_key,
    shutting_down,
)
from txt2sql_api.llm.threads import StreamThreads
from txt2sql_api.llm.transport import (
    SessionPool,
    SocketTracker,
    bind_to_thread,
    unbind_from_thread,
)
from txt2sql_api.shutdown import ShutdownSignal

logger = logging.getLogger(__name__)


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


_END = object()
MAX_WAITING_FRAMES = 256
# Sessions kept between calls, each with its open connection to DashScope.
KEPT_SESSIONS = 64

# Failures worth another try; never a bad key, moderated content, a bad request or billing.
RETRIED = frozenset({"upstream_throttled", "upstream_unavailable"})


class _UpstreamCall:
    """One model call on its own thread; items reach the event loop in arrival order."""

    def __init__(self, call: Any, loop: asyncio.AbstractEventLoop, sessions: SessionPool) -> None:
        self._call = call
        self._loop = loop
        self._sessions = sessions
        self._items: deque[object] = deque()
        self._arrived = asyncio.Event()
        self._tracker = SocketTracker()
        # Backpressure: while the client does not take events, at most this many frames wait
        # here; the thread then stops reading and TCP slows the upstream down.
        self._room = threading.Semaphore(MAX_WAITING_FRAMES)

    async def take(self, deadlines: _Deadlines, shutdown: ShutdownSignal) -> list[object]:
        """The next item, and every item already waiting behind it: when the event loop falls
        behind, their text goes out as fewer, larger events instead of a backlog of tiny ones."""
        wait, message = deadlines.next_wait()
        if wait <= 0:
            raise UpstreamError("upstream_timeout", message, retryable=True)
        if not self._items:
            self._arrived.clear()
            shutdown.wake_with(self._arrived.set)
            try:
                async with asyncio.timeout(wait):
                    await self._arrived.wait()
            except TimeoutError:
                raise UpstreamError("upstream_timeout", message, retryable=True) from None
            finally:
                shutdown.wake_with(None)
        if shutdown.is_set():
            raise shutting_down()
        deadlines.got_item()
        items = list(self._items)
        self._items.clear()
        for _ in items:
            self._room.release()
        return items

    def _arrive(self, item: object) -> None:
        self._items.append(item)
        self._arrived.set()

    def abort(self) -> None:
        self._tracker.abort()
        self._room.release()  # wakes the thread if it waits for room

    def _wait_for_room(self) -> bool:
        while not self._room.acquire(timeout=1.0):
            if self._tracker.aborted:
                return False
        return not self._tracker.aborted

    def _deliver(self, item: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self._arrive, item)
        except RuntimeError:
            pass  # the loop is closed: nobody is listening any more

    def run(self) -> None:
        pooled = self._sessions.take()
        bind_to_thread(self._tracker, pooled)
        try:
            for sock in pooled.open_sockets():  # kept alive from an earlier call
                self._tracker.track(sock)
            for response in self._call(pooled.session):
                if not self._wait_for_room():
                    return
                # Digested here: what waits for the event loop is the text, not the SDK's
                # response with its parsed JSON (~1.5 KB a frame, times every frame of every
                # stream while the loop is behind).
                self._deliver(_frame_of(response))
        except Exception as exc:  # every failure, whatever its type, ends the stream as an error
            if not self._tracker.aborted:
                self._deliver(_upstream_error_of(exc))
        finally:
            self._tracker.release()
            unbind_from_thread()
            # Given back before the end is told, so the caller's next call can take it.
            self._sessions.give(pooled)
            self._deliver(_END)


# Models that always reason before they answer; hybrid ones (Qwen3, qwen-plus) think when
# asked to (`enable_thinking`).
_THINKING_MODELS = re.compile(r"^(qwq|qvq|deepseek-r1)|thinking", re.IGNORECASE)


def upstream_base_url(configured: str | None) -> str:
    """Where model calls go: the setting, else the SDK's own default."""
    if configured:
        return configured
    import dashscope

    return str(dashscope.base_http_api_url)


def model_thinks(model: str, enable_thinking: bool | None) -> bool:
    """Whether the model reasons before its first token of answer: its first token may then be
    long in coming, so it gets the longer first-token deadline."""
    if enable_thinking is not None:
        return enable_thinking
    return _THINKING_MODELS.search(model) is not None


class DashScopeClient:
    """Streams one chat completion as `LlmChunk`s; raises `UpstreamError` for every failure."""

    def __init__(
        self,
        *,
        api_key: str | None,
        model: str,
        first_token_timeout: float,
        idle_timeout: float,
        enable_thinking: bool | None = None,
        thinking_budget: int | None = None,
        thinking_first_token_timeout: float | None = None,
        retries: int = 0,
        retry_base_seconds: float = 0.25,
        retry_within_seconds: float = 10.0,
        total_timeout: float = 300.0,
        thread_idle_seconds: float = 30.0,
        base_url: str | None = None,
    ) -> None:
        self.api_key = api_key
        self.model = model
        # None: the SDK's own, which it reads from the process environment at import.
        self.base_url = base_url
        self.enable_thinking = enable_thinking
        self.thinking_budget = thinking_budget
        self.thinks = model_thinks(model, enable_thinking)
        self.first_token_timeout = (
            thinking_first_token_timeout or first_token_timeout
            if self.thinks
            else first_token_timeout
        )
        self.idle_timeout = idle_timeout
        self.retries = retries
        self.retry_base_seconds = retry_base_seconds
        self.retry_within_seconds = retry_within_seconds
        self.total_timeout = total_timeout
        self.threads = StreamThreads(name="dashscope-stream", idle_seconds=thread_idle_seconds)
        self.sessions = SessionPool(keep=KEPT_SESSIONS, base_url=base_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> DashScopeClient:
        key = settings.dashscope_api_key
        return cls(
            api_key=key.get_secret_value() if key else None,
            model=settings.model,
            first_token_timeout=settings.first_token_timeout_seconds,
            enable_thinking=settings.enable_thinking,
            thinking_budget=settings.thinking_budget,
            thinking_first_token_timeout=settings.thinking_first_token_timeout_seconds,
            idle_timeout=settings.idle_timeout_seconds,
            total_timeout=settings.total_timeout_seconds,
            thread_idle_seconds=settings.upstream_thread_idle_seconds,
            retries=settings.upstream_retries,
            retry_base_seconds=settings.upstream_retry_base_seconds,
            retry_within_seconds=settings.upstream_retry_within_seconds,
            base_url=settings.dashscope_http_base_url,
        )

    def unusable(self) -> UpstreamError | None:
        return None if self.api_key else missing_api_key()

    def close(self) -> None:
        """Closes the kept-alive connections (the lifespan's end)."""
        self.sessions.close()

    def _sdk_call(self, messages: Messages) -> Any:
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
                # None is not sent: the model's own default applies.
                enable_thinking=self.enable_thinking,
                thinking_budget=self.thinking_budget,
                session=session,
                base_address=self.base_url,
                request_timeout=int(max(self.first_token_timeout, self.idle_timeout)) + 5,
            )

        return call

    async def stream(
        self, messages: Messages, shutdown: ShutdownSignal | None = None
    ) -> AsyncIterator[LlmChunk]:
        """Retries a call that failed before its first chunk, when a retry may help (throttling,
        5xx, connection failures): nothing has reached the client yet, so nothing is repeated.
        Bounded in count and in time: a retry that would start later than `retry_within_seconds`
        after the first try is not made, however few were."""
        if not self.api_key:
            raise missing_api_key()
        shutdown = shutdown or ShutdownSignal()
        loop = asyncio.get_running_loop()
        retry_until = loop.time() + self.retry_within_seconds
        for retry in range(self.retries + 1):
            if shutdown.is_set():
                raise shutting_down()
            started = False
            try:
                # aclosing: a consumer that stops early must abort this call now, not at GC.
                async with aclosing(self._one_call(messages, shutdown)) as chunks:
                    async for chunk in chunks:
                        started = True
                        yield chunk
                return
            except UpstreamError as exc:
                if started or exc.code not in RETRIED or retry == self.retries:
                    raise
                delay = self.retry_base_seconds * 2**retry * random.uniform(0.5, 1.5)
                if loop.time() + delay > retry_until:
                    raise
                logger.warning("%s, retrying in %.2f s: %s", exc.code, delay, exc.message)
                await asyncio.sleep(delay)

    async def _one_call(
        self, messages: Messages, shutdown: ShutdownSignal
    ) -> AsyncGenerator[LlmChunk, None]:
        upstream = _UpstreamCall(
            self._sdk_call(messages), asyncio.get_running_loop(), self.sessions
        )
        self.threads.submit(upstream.run)
        try:
            async for chunk in self._chunks(upstream, shutdown):
                yield chunk
        finally:
            upstream.abort()

    async def _chunks(
        self, upstream: _UpstreamCall, shutdown: ShutdownSignal
    ) -> AsyncIterator[LlmChunk]:
        usage: Usage | None = None
        deadlines = _Deadlines(self.first_token_timeout, self.idle_timeout, self.total_timeout)
        while True:
            items = await upstream.take(deadlines, shutdown)
            chunks: list[LlmChunk] = []
            failure: UpstreamError | None = None
            for item in items:
                if item is _END:
                    break
                if isinstance(item, UpstreamError):
                    failure = item
                    break
                assert isinstance(item, _Frame)
                chunks += item.chunks
                usage = item.usage or usage
            # What arrived before a failure still reaches the client, then the failure.
            for chunk in coalesced(chunks):
                yield chunk
            if failure is not None:
                raise failure
            if items[-1] is _END:
                break
        if usage is not None:
            yield usage


class _Deadlines:
    """Until the first item, between items, and in total; the tightest one applies."""

    def __init__(self, first: float, idle: float, total: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._gap = first
        self._idle = idle
        self._total = total
        self._end = self._loop.time() + total

    def next_wait(self) -> tuple[float, str]:
        """Seconds to wait for the next item, and what to say if none comes."""
        remaining = self._end - self._loop.time()
        if remaining <= self._gap:
            return max(remaining, 0.0), f"the model's answer took longer than {self._total:g} s"
        return self._gap, f"the model sent nothing for {self._gap:g} s"

    def got_item(self) -> None:
        self._gap = self._idle


@dataclass(frozen=True)
class _Frame:
    """What one of the SDK's responses says: its text, and the usage so far."""

    chunks: list[LlmChunk]
    usage: Usage | None


def _frame_of(response: Any) -> _Frame:
    return _Frame(_chunks_of(response), _usage_of(response))


def _upstream_error_of(exc: Exception) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    # The log keeps the exception's own text (hosts, pools, sockets) for whoever runs the
    # service; the client is told in words.
    logger.warning("model call failed: %s", exc)
    error = UpstreamError("upstream_unavailable", failure_in_words(exc), retryable=True)
    error.__cause__ = exc
    return error


def failure_in_words(exc: BaseException) -> str:
    """What failed on the way to the model, said without the HTTP library's internals."""
    causes = list(_causes(exc))
    if any(isinstance(c, requests.exceptions.SSLError) for c in causes):
        return "the model service's TLS certificate or handshake was refused"
    if any(isinstance(c, requests.exceptions.ConnectTimeout) for c in causes):
        return "the model service did not accept a connection in time"
    if any(isinstance(c, requests.exceptions.ReadTimeout | TimeoutError) for c in causes):
        return "the model service stopped answering"
    if any(isinstance(c, socket.gaierror) for c in causes):
        return "the model service's host name does not resolve"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "the model service refused the connection (nothing listens at its address)"
    if any(isinstance(c, requests.exceptions.ChunkedEncodingError) for c in causes):
        return "the connection to the model service broke in the middle of the answer"
    if any(isinstance(c, requests.exceptions.ConnectionError | OSError) for c in causes):
        return "the connection to the model service failed or was dropped"
    return f"the model call failed ({type(exc).__name__})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: urllib3 and requests nest the real failure in
    `reason`, in their first argument, or as the cause."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        pending += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]


def _chunks_of(response: Any) -> list[LlmChunk]:
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
