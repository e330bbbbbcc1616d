"""Qwen on DashScope, streamed: the SDK's blocking iterator runs in a worker thread per stream
and feeds an async generator.

Why a thread of our own per stream: the SDK reads with `requests`, which blocks, and anyio's
shared thread limiter (40) would make stream 41 wait for stream 1 to finish. The sessions the
SDK reads with are ours (`transport`), so a cancelled stream's read returns at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator
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
)
from txt2sql_api.llm.calls import (
    END,
    MAX_WAITING_FRAMES,
    Arrivals,
    ChatClient,
    Frame,
    HttpFailures,
    chunks_of,
    classify_upstream_error,
    upstream_error_of,
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


# Sessions kept between calls, each with its open connection to DashScope.
KEPT_SESSIONS = 64


class _UpstreamCall:
    """One model call on its own thread; items reach the event loop in arrival order."""

    def __init__(self, call: Any, loop: asyncio.AbstractEventLoop, sessions: SessionPool) -> None:
        self._call = call
        self._loop = loop
        self._sessions = sessions
        self._tracker = SocketTracker()
        # Backpressure: while the client does not take events, at most this many frames wait
        # here; the thread then stops reading and TCP slows the upstream down.
        self._room = threading.Semaphore(MAX_WAITING_FRAMES)
        self.arrivals = Arrivals(taken=lambda n: self._room.release(n))

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
            self._loop.call_soon_threadsafe(self.arrivals.arrive, item)
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
                self._deliver(upstream_error_of(exc, REQUESTS_FAILURES))
        finally:
            self._tracker.release()
            unbind_from_thread()
            # Given back before the end is told, so the caller's next call can take it.
            self._sessions.give(pooled)
            self._deliver(END)


def upstream_base_url(configured: str | None) -> str:
    """Where model calls go: the setting, else the SDK's own default."""
    if configured:
        return configured
    import dashscope

    return str(dashscope.base_http_api_url)


class DashScopeClient(ChatClient):
    """Streams one chat completion as `LlmChunk`s; raises `UpstreamError` for every failure."""

    def __init__(
        self,
        *,
        thread_idle_seconds: float = 30.0,
        base_url: str | None = None,
        **call: Any,
    ) -> None:
        super().__init__(**call)
        # None: the SDK's own, which it reads from the process environment at import.
        self.base_url = base_url
        self.threads = StreamThreads(name="dashscope-stream", idle_seconds=thread_idle_seconds)
        self.sessions = SessionPool(keep=KEPT_SESSIONS, base_url=base_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> DashScopeClient:
        key = settings.dashscope_api_key
        return cls(
            api_key=key.get_secret_value() if key else None,
            thread_idle_seconds=settings.upstream_thread_idle_seconds,
            base_url=settings.dashscope_http_base_url,
            **cls.settings_of(settings),
        )

    def close(self) -> None:
        """Closes the kept-alive connections."""
        self.sessions.close()

    async def aclose(self) -> None:
        self.close()

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

    async def _one_call(
        self, messages: Messages, shutdown: ShutdownSignal
    ) -> AsyncGenerator[LlmChunk, None]:
        upstream = _UpstreamCall(
            self._sdk_call(messages), asyncio.get_running_loop(), self.sessions
        )
        self.threads.submit(upstream.run)
        try:
            async for chunk in chunks_of(upstream.arrivals, self.deadlines(), shutdown):
                yield chunk
        finally:
            upstream.abort()


def _frame_of(response: Any) -> Frame:
    return Frame(_chunks_of(response), _usage_of(response))


# What `requests` raises, by what it means for a model call.
REQUESTS_FAILURES = HttpFailures(
    tls=(requests.exceptions.SSLError,),
    connect_timeout=(requests.exceptions.ConnectTimeout,),
    read_timeout=(requests.exceptions.ReadTimeout,),
    broken_body=(requests.exceptions.ChunkedEncodingError,),
    connection=(requests.exceptions.ConnectionError,),
)


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
