"""Python clients for `/v1/ask`, async and sync, on httpx and httpx-sse. They yield the event
models of `txt2sql_api.answer.events`, the same classes the server sends:

    async with AsyncTxt2SqlClient("http://127.0.0.1:8000", api_key=key) as client:
        async with client.ask("沈塘桥地铁站的信息", execute=True, summarize=True) as events:
            async for event in events:
                ...

Leaving the `ask` block closes the connection, which stops the model call on the server.
`api_key` is sent as `Authorization: Bearer`, for a service that wants keys (TXT2SQL_API_KEYS).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse, connect_sse

from txt2sql_api.answer.events import EVENT_TYPES, StreamEvent
from txt2sql_api.config import Settings

DEFAULT_URL = "http://127.0.0.1:8000"

# While a stream is quiet (the model thinking, a slow query) the server sends a `: ping` every
# TXT2SQL_PING_SECONDS; a read timeout a few pings long never cuts a live stream.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, read=4 * Settings.model_fields["ping_seconds"].default)

EVENT_MODELS: dict[str, type[StreamEvent]] = {t.event_name: t for t in EVENT_TYPES}


class AskError(Exception):
    """The service answered with an error status instead of a stream (bad input, too many
    streams, running SQL switched off...): no event was sent."""

    def __init__(self, status_code: int, detail: Any, request_id: str | None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.request_id = request_id
        super().__init__(f"{status_code}: {detail_text(detail)}")


def detail_text(detail: Any) -> str:
    """FastAPI's `detail`: a message, or a list of validation errors or SQL problems."""
    if isinstance(detail, list):
        return "; ".join(
            str(item.get("msg") or item.get("message") or item)
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
    return str(detail)


def decode(sse: ServerSentEvent) -> StreamEvent | None:
    """The typed event; None for an event name this client does not know (a newer server's)."""
    model = EVENT_MODELS.get(sse.event)
    return model.model_validate_json(sse.data) if model else None


def _refusal(response: httpx.Response) -> AskError:
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        detail = response.text or response.reason_phrase
    return AskError(response.status_code, detail, response.headers.get("x-request-id"))


def _headers(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    given = dict(headers or {})
    if api_key:
        given["Authorization"] = f"Bearer {api_key}"
    return given


def _body(
    question: str, execute: bool, summarize: bool, conversation_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question, "execute": execute}
    if summarize:
        body["summarize"] = True
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return body


class AsyncTxt2SqlClient:
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers=_headers(api_key, headers),
            transport=transport,
        )

    @asynccontextmanager
    async def ask(
        self,
        question: str,
        *,
        execute: bool = False,
        summarize: bool = False,
        conversation_id: str | None = None,
    ) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        """The answer's events, ending with `done` (whose `conversation_id` continues the
        conversation); raises `AskError` when no stream starts."""
        body = _body(question, execute, summarize, conversation_id)
        async with aconnect_sse(self._http, "POST", "/v1/ask", json=body) as source:
            if not source.response.is_success:
                await source.response.aread()
                raise _refusal(source.response)
            yield _adecoded(source.aiter_sse())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncTxt2SqlClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def _adecoded(messages: AsyncIterator[ServerSentEvent]) -> AsyncIterator[StreamEvent]:
    async for sse in messages:
        if (event := decode(sse)) is not None:
            yield event


class Txt2SqlClient:
    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers=_headers(api_key, headers),
            transport=transport,
        )

    @contextmanager
    def ask(
        self,
        question: str,
        *,
        execute: bool = False,
        summarize: bool = False,
        conversation_id: str | None = None,
    ) -> Iterator[Iterator[StreamEvent]]:
        """The answer's events, ending with `done` (whose `conversation_id` continues the
        conversation); raises `AskError` when no stream starts."""
        body = _body(question, execute, summarize, conversation_id)
        with connect_sse(self._http, "POST", "/v1/ask", json=body) as source:
            if not source.response.is_success:
                source.response.read()
                raise _refusal(source.response)
            yield (event for sse in source.iter_sse() if (event := decode(sse)) is not None)

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Txt2SqlClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
