"""Any OpenAI-compatible chat server (vLLM, SGLang, Ollama, DashScope's compatible mode,
DeepSeek, a company gateway), streamed by the openai SDK's `AsyncOpenAI` on the event loop
itself: no thread per stream, one connection pool for every stream.

The SDK's own retries are off (`max_retries=0`): the retries, deadlines and error codes are the
ones every provider shares (`calls.ChatClient`), so a call is never tried more often, or waited
for longer, than the settings say.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncGenerator
from typing import Any, Literal

import aiohttp
import httpx2
import openai
from openai import AsyncStream
from openai.types.chat import ChatCompletionChunk

from txt2sql_api.config import Settings
from txt2sql_api.llm.base import (
    LlmChunk,
    Messages,
    NoThreads,
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
from txt2sql_api.shutdown import ShutdownSignal

logger = logging.getLogger(__name__)

ThinkingStyle = Literal["none", "dashscope", "vllm"]
# Where the SDK sends calls without a base URL (nor OPENAI_BASE_URL).
SDK_BASE_URL = "https://api.openai.com/v1"
# What the SDK's HTTP under it raises, by what it means for a model call: the transport is
# aiohttp's (the SDK's own `DefaultAioHttpClient`), whose exceptions the SDK's httpx2 wraps,
# not always by their meaning (a refused connection becomes a ConnectTimeout), so the
# originals are what is looked at.
AIOHTTP_FAILURES = HttpFailures(
    tls=(ssl.SSLError, aiohttp.ClientSSLError),
    connect_timeout=(aiohttp.ConnectionTimeoutError,),
    read_timeout=(aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError),
    broken_body=(aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError),
    connection=(aiohttp.ClientConnectionError, httpx2.TransportError),
)
# aiohttp's "no limit" on open connections: TXT2SQL_MAX_STREAMS is the ceiling, not a queue in
# the pool (aiohttp's own default would make stream 101 wait for a connection).
NO_CONNECTION_LIMIT = 0


class OpenAIClient(ChatClient):
    """Streams one chat completion as `LlmChunk`s; raises `UpstreamError` for every failure."""

    key_variable = "OPENAI_API_KEY"
    threads = NoThreads()

    def __init__(
        self,
        *,
        base_url: str | None = None,
        thinking_style: ThinkingStyle = "none",
        **call: Any,
    ) -> None:
        super().__init__(**call)
        # None: the SDK's own choice (OPENAI_BASE_URL from the environment, else OpenAI's).
        self.base_url = base_url
        self.thinking_style = thinking_style
        self._sdk: openai.AsyncOpenAI | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIClient:
        key = settings.openai_api_key
        client = cls(
            api_key=key.get_secret_value() if key else None,
            base_url=settings.openai_base_url,
            thinking_style=settings.openai_thinking_style,
            **cls.settings_of(settings),
        )
        if client.thinking_left_out():
            logger.warning(
                "TXT2SQL_OPENAI_THINKING_STYLE=%s does not send %s: set the style the server "
                "understands (docs/configuration.md)",
                client.thinking_style,
                " and ".join(client.thinking_left_out()),
            )
        return client

    def thinking_body(self) -> dict[str, Any]:
        """The thinking switches, in the request body's words the server understands."""
        if self.thinking_style == "dashscope":
            body: dict[str, Any] = {}
            if self.enable_thinking is not None:
                body["enable_thinking"] = self.enable_thinking
            if self.thinking_budget is not None:
                body["thinking_budget"] = self.thinking_budget
            return body
        if self.thinking_style == "vllm" and self.enable_thinking is not None:
            return {"chat_template_kwargs": {"enable_thinking": self.enable_thinking}}
        return {}

    def thinking_left_out(self) -> list[str]:
        """The thinking settings that are set but that this style cannot send."""
        left_out = []
        if self.enable_thinking is not None and self.thinking_style == "none":
            left_out.append("TXT2SQL_ENABLE_THINKING")
        if self.thinking_budget is not None and self.thinking_style != "dashscope":
            left_out.append("TXT2SQL_THINKING_BUDGET")
        return left_out

    def sdk(self) -> openai.AsyncOpenAI:
        """The SDK's client, made at the first call (so a changed `base_url` still applies)."""
        if self._sdk is None:
            # The SDK's read timeout only backs up our deadlines, which come first.
            timeout = httpx2.Timeout(max(self.first_token_timeout, self.idle_timeout) + 5)
            limits = httpx2.Limits(max_connections=NO_CONNECTION_LIMIT)
            self._sdk = openai.AsyncOpenAI(
                api_key=self.api_key,
                base_url=self.base_url,
                max_retries=0,
                timeout=timeout,
                # aiohttp, not httpx2's own transport: with httpx2's, a stream cost twice the
                # CPU at 500 streams at once, and streams failed at 1,000 (bench/streams.py).
                http_client=openai.DefaultAioHttpClient(limits=limits, timeout=timeout),
            )
        return self._sdk

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None

    async def _one_call(
        self, messages: Messages, shutdown: ShutdownSignal
    ) -> AsyncGenerator[LlmChunk, None]:
        deadlines = self.deadlines()
        # The SDK types messages as a union of its TypedDicts; role/content dicts are what it
        # sends on the wire either way.
        sdk_messages: Any = list(messages)
        try:
            stream = await deadlines.wait(
                self.sdk().chat.completions.create(
                    model=self.model,
                    messages=sdk_messages,
                    stream=True,
                    stream_options={"include_usage": True},
                    extra_body=self.thinking_body() or None,
                ),
                shutdown,
            )
        except openai.OpenAIError as exc:
            raise self._error_of(exc) from exc
        # Read by a task of its own into `arrivals`, so that frames that arrived while the
        # event loop was behind go out together, as the DashScope client's do.
        room = asyncio.Semaphore(MAX_WAITING_FRAMES)

        def make_room(taken: int) -> None:
            for _ in range(taken):
                room.release()

        arrivals = Arrivals(taken=make_room)
        reader = asyncio.create_task(self._read(stream, arrivals, room))
        try:
            async for chunk in chunks_of(arrivals, deadlines, shutdown):
                yield chunk
        finally:
            reader.cancel()
            # Now, not when the SDK's iterator is collected: a consumer that stops early (the
            # client hung up) must close the connection, so that the server stops generating
            # tokens we would pay for.
            await stream.close()

    async def _read(
        self, stream: AsyncStream[ChatCompletionChunk], arrivals: Arrivals, room: asyncio.Semaphore
    ) -> None:
        try:
            async for chunk in stream:
                # Backpressure: while the client does not take events, at most this many frames
                # wait; then reading stops and TCP slows the server down.
                await room.acquire()
                arrivals.arrive(Frame(_pieces_of(chunk), _usage_of(chunk)))
        except Exception as exc:  # every failure, whatever its type, ends the stream as an error
            arrivals.arrive(self._error_of(exc))
        finally:
            arrivals.arrive(END)

    def _error_of(self, exc: Exception) -> UpstreamError:
        if isinstance(exc, openai.APIConnectionError) or not isinstance(exc, openai.APIError):
            return upstream_error_of(exc, AIOHTTP_FAILURES)
        body = exc.body if isinstance(exc.body, dict) else {}
        code = exc.code if exc.code and not exc.code.isdigit() else exc.type
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
        else:
            # An error object in the stream after it started: a server's failure unless its
            # code (vLLM gives the HTTP status there) says otherwise.
            status = int(exc.code) if exc.code and exc.code.isdigit() else 500
        ours, retryable = classify_upstream_error(status, code)
        said = body.get("message") if isinstance(body.get("message"), str) else exc.message
        message = f"the model service answered {status}{f' {code}' if code else ''}: {said}"
        if status == 404:
            message += f" (model {self.model} at {self.sdk().base_url})"
        return UpstreamError(ours, message, retryable=retryable, upstream_code=code)


def _pieces_of(chunk: ChatCompletionChunk) -> list[LlmChunk]:
    pieces: list[LlmChunk] = []
    for choice in chunk.choices:
        delta = choice.delta
        # Not in the SDK's types: DeepSeek, DashScope's compatible mode and vLLM (before it
        # renamed it `reasoning`) send the thinking as `reasoning_content`.
        extra = delta.model_extra or {}
        reasoning = extra.get("reasoning_content") or extra.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            pieces.append(ReasoningDelta(reasoning))
        if delta.content:
            pieces.append(TextDelta(delta.content))
    return pieces


def _usage_of(chunk: ChatCompletionChunk) -> Usage | None:
    usage = chunk.usage
    if usage is None:
        return None
    return Usage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
        request_id=chunk.id,
    )
