"""What every provider's streamed model call shares: the settings of a call, its deadlines, its
retries before the first chunk, what an upstream's HTTP status and error code mean, and
failures told in words. A provider's client says only how one call is made and read
(`ChatClient._one_call`)."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

from txt2sql_api.config import Settings
from txt2sql_api.llm.base import (
    LlmChunk,
    Messages,
    UpstreamError,
    Usage,
    coalesced,
    missing_api_key,
    shutting_down,
)
from txt2sql_api.shutdown import ShutdownSignal

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Failures worth another try; never a bad key, moderated content, a bad request or billing.
RETRIED = frozenset({"upstream_throttled", "upstream_unavailable"})


def _plain(code: str | None) -> str:
    """An error code with case and separators dropped, so DashScope's `DataInspectionFailed`
    and its compatible mode's `data_inspection_failed` read the same."""
    return re.sub(r"[^a-z0-9]", "", (code or "").lower())


def classify_upstream_error(status: int, upstream_code: str | None) -> tuple[str, bool]:
    """Map an upstream's HTTP status and error code (DashScope's own, or an OpenAI-compatible
    server's) to our error code and whether a retry may help."""
    code = _plain(upstream_code)
    if status in (401, 403) or code in ("invalidapikey", "accessdenied"):
        return "upstream_unauthorized", False
    if code in ("datainspectionfailed", "contentfilter"):
        return "content_rejected", False
    # OpenAI says a spent balance with a 429 too: no retry brings money.
    if code in ("arrearage", "insufficientquota"):
        return "upstream_billing", False
    if status == 429 or code.startswith("throttling") or code == "ratelimitexceeded":
        return "upstream_throttled", True
    if status >= 500:
        return "upstream_unavailable", True
    if status in (400, 404, 422) or code.startswith("invalidparameter"):
        return "upstream_bad_request", False
    return "upstream_error", False


# Models that always reason before they answer; hybrid ones (Qwen3, qwen-plus) think when
# asked to (`enable_thinking`).
_THINKING_MODELS = re.compile(r"^(qwq|qvq|deepseek-r1|deepseek-reasoner)|thinking", re.IGNORECASE)


def model_thinks(model: str, enable_thinking: bool | None) -> bool:
    """Whether the model reasons before its first token of answer: its first token may then be
    long in coming, so it gets the longer first-token deadline."""
    if enable_thinking is not None:
        return enable_thinking
    return _THINKING_MODELS.search(model.rpartition("/")[2]) is not None


class Deadlines:
    """Until the first item, between items, and in total; the tightest one applies. The first
    item's deadline counts from the call's start, however many waits it takes."""

    def __init__(self, first: float, idle: float, total: float) -> None:
        self._loop = asyncio.get_running_loop()
        now = self._loop.time()
        self._gap = first
        self._idle = idle
        self._total = total
        self._next_by = now + first
        self._end = now + total

    def next_wait(self) -> tuple[float, str]:
        """Seconds to wait for the next item, and what to say if none comes."""
        now = self._loop.time()
        if self._end <= self._next_by:
            message = f"the model's answer took longer than {self._total:g} s"
            return max(self._end - now, 0.0), message
        return max(self._next_by - now, 0.0), f"the model sent nothing for {self._gap:g} s"

    def got_item(self) -> None:
        self._gap = self._idle
        self._next_by = self._loop.time() + self._idle

    async def wait(self, waiting: Awaitable[T], shutdown: ShutdownSignal) -> T:
        """`waiting`, within the deadline that applies now; a shutdown ends the wait at once
        (`shutting_down`). What is waited for is cancelled when the wait ends without it."""
        seconds, message = self.next_wait()
        if shutdown.is_set() or seconds <= 0:
            if asyncio.iscoroutine(waiting):
                waiting.close()
            raise shutting_down() if shutdown.is_set() else _timeout(message)
        scope = asyncio.timeout(seconds)
        try:
            async with scope:
                shutdown.wake_with(lambda: scope.reschedule(self._loop.time()))
                return await waiting
        except TimeoutError:
            if shutdown.is_set():
                raise shutting_down() from None
            if scope.expired():
                raise _timeout(message) from None
            raise
        finally:
            shutdown.wake_with(None)


def _timeout(message: str) -> UpstreamError:
    return UpstreamError("upstream_timeout", message, retryable=True)


@dataclass(frozen=True)
class Frame:
    """What one frame of the upstream said: its text, and the usage so far."""

    chunks: list[LlmChunk]
    usage: Usage | None


# The last item of a call, after its frames (and its failure, if it failed).
END = object()
# Frames read ahead of a stream that does not take them (its client is slow): then reading
# stops, and TCP slows the upstream down.
MAX_WAITING_FRAMES = 256


class Arrivals:
    """A call's items (`Frame`s, an `UpstreamError`, `END`) in arrival order, on the event
    loop: put there by whatever reads the upstream (a thread, a task), taken by the stream."""

    def __init__(self, taken: Callable[[int], None] = lambda _: None) -> None:
        self._items: deque[object] = deque()
        self._arrived = asyncio.Event()
        # Told how many items were taken, to make room for more (backpressure).
        self._taken = taken

    def arrive(self, item: object) -> None:
        self._items.append(item)
        self._arrived.set()

    async def take(self, deadlines: Deadlines, shutdown: ShutdownSignal) -> list[object]:
        """The next item, and every item already waiting behind it: when the event loop falls
        behind, their text goes out as fewer, larger events instead of a backlog of tiny ones."""
        if not self._items:
            self._arrived.clear()
        # Set while items wait, so that the deadlines (the total one) are still checked.
        await deadlines.wait(self._arrived.wait(), shutdown)
        if shutdown.is_set():
            raise shutting_down()
        deadlines.got_item()
        items = list(self._items)
        self._items.clear()
        self._taken(len(items))
        return items


async def chunks_of(
    arrivals: Arrivals, deadlines: Deadlines, shutdown: ShutdownSignal
) -> AsyncIterator[LlmChunk]:
    """A call's chunks as they arrive, those that arrived together joined; its usage last.
    What arrived before a failure still reaches the client, then the failure."""
    usage: Usage | None = None
    while True:
        items = await arrivals.take(deadlines, shutdown)
        chunks: list[LlmChunk] = []
        failure: UpstreamError | None = None
        for item in items:
            if item is END:
                break
            if isinstance(item, UpstreamError):
                failure = item
                break
            assert isinstance(item, Frame)
            chunks += item.chunks
            usage = item.usage or usage
        for chunk in coalesced(chunks):
            yield chunk
        if failure is not None:
            raise failure
        if items[-1] is END:
            break
    if usage is not None:
        yield usage


class ChatClient(ABC):
    """A streamed chat model behind an API key, as the `LlmClient` protocol wants it: the
    deadlines, the retries and the missing-key error are the same for every provider."""

    # The setting that holds the key, named in the error when it is missing.
    key_variable = "DASHSCOPE_API_KEY"

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
    ) -> None:
        self.api_key = api_key
        self.model = model
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

    @staticmethod
    def settings_of(settings: Settings) -> dict[str, Any]:
        """The constructor's arguments every provider reads from the same settings."""
        return {
            "model": settings.model,
            "first_token_timeout": settings.first_token_timeout_seconds,
            "enable_thinking": settings.enable_thinking,
            "thinking_budget": settings.thinking_budget,
            "thinking_first_token_timeout": settings.thinking_first_token_timeout_seconds,
            "idle_timeout": settings.idle_timeout_seconds,
            "total_timeout": settings.total_timeout_seconds,
            "retries": settings.upstream_retries,
            "retry_base_seconds": settings.upstream_retry_base_seconds,
            "retry_within_seconds": settings.upstream_retry_within_seconds,
        }

    def unusable(self) -> UpstreamError | None:
        return None if self.api_key else missing_api_key(self.key_variable)

    def deadlines(self) -> Deadlines:
        """A new call's deadlines, started now."""
        return Deadlines(self.first_token_timeout, self.idle_timeout, self.total_timeout)

    @abstractmethod
    def _one_call(
        self, messages: Messages, shutdown: ShutdownSignal
    ) -> AsyncGenerator[LlmChunk, None]:
        """One try: its chunks, within its deadlines; `UpstreamError` for every failure."""

    async def stream(
        self, messages: Messages, shutdown: ShutdownSignal | None = None
    ) -> AsyncGenerator[LlmChunk, None]:
        """Retries a call that failed before its first chunk, when a retry may help (throttling,
        5xx, connection failures): nothing has reached the client yet, so nothing is repeated.
        Bounded in count and in time: a retry that would start later than `retry_within_seconds`
        after the first try is not made, however few were."""
        if problem := self.unusable():
            raise problem
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


@dataclass(frozen=True)
class HttpFailures:
    """An HTTP library's exception types, by what they mean for a model call."""

    tls: tuple[type[BaseException], ...]
    connect_timeout: tuple[type[BaseException], ...]
    read_timeout: tuple[type[BaseException], ...]
    broken_body: tuple[type[BaseException], ...]
    connection: tuple[type[BaseException], ...]


def failure_in_words(exc: BaseException, library: HttpFailures) -> str:
    """What failed on the way to the model, said without the HTTP library's internals."""
    causes = list(_causes(exc))

    def any_of(*types: type[BaseException]) -> bool:
        return any(isinstance(c, types) for c in causes)

    # What the operating system said comes first: a library may wrap it in a class of another
    # meaning.
    if any_of(socket.gaierror):
        return "the model service's host name does not resolve"
    if any_of(ConnectionRefusedError):
        return "the model service refused the connection (nothing listens at its address)"
    if any_of(*library.tls):
        return "the model service's TLS certificate or handshake was refused"
    if any_of(*library.connect_timeout):
        return "the model service did not accept a connection in time"
    if any_of(*library.read_timeout, TimeoutError):
        return "the model service stopped answering"
    if any_of(*library.broken_body):
        return "the connection to the model service broke in the middle of the answer"
    if any_of(*library.connection, OSError):
        return "the connection to the model service failed or was dropped"
    return f"the model call failed ({type(exc).__name__})"


def upstream_error_of(exc: Exception, library: HttpFailures) -> UpstreamError:
    """A failure the provider's code did not classify itself: told in words, retryable."""
    if isinstance(exc, UpstreamError):
        return exc
    # The log keeps the exception's own text (hosts, pools, sockets) for whoever runs the
    # service; the client is told in words.
    logger.warning("model call failed: %s", exc)
    error = UpstreamError("upstream_unavailable", failure_in_words(exc, library), retryable=True)
    error.__cause__ = exc
    return error


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: HTTP libraries nest the real failure in `reason`, in
    their first argument, or as the cause."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        pending += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
