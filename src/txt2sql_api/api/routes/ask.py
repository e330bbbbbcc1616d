from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Annotated, Self

from fastapi import APIRouter, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, field_validator, model_validator
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask

from txt2sql_api.answer.events import DoneEvent, ErrorEvent, StreamEvent
from txt2sql_api.answer.recorder import Conversation, recorded
from txt2sql_api.api.admission import Ticket
from txt2sql_api.api.deps import StateDep, get_database
from txt2sql_api.api.errors import Refusal
from txt2sql_api.api.openapi import ASK_RESPONSES
from txt2sql_api.api.security.auth import StreamCaller
from txt2sql_api.api.state import AppState
from txt2sql_api.conversations.history import History
from txt2sql_api.conversations.store import NOBODY, new_conversation_id
from txt2sql_api.observability.context import request_id_var
from txt2sql_api.shutdown import ShutdownSignal
from txt2sql_api.text import StorableText

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["ask"])


class AskRequest(BaseModel):
    # Storable: the question is kept with the answer, for feedback.
    question: StorableText = Field(
        pattern=r"\S",  # documents "not blank" in the schema; the validator still trims
        description="The question, in any language; trimmed, never blank.",
        examples=["沈塘桥地铁站的信息"],
    )
    execute: bool = Field(
        default=False,
        description="Also run the checked SQL and stream its result as `rows` events "
        "(read-only, time- and row-limited; the server can switch it off: TXT2SQL_EXECUTE).",
    )
    summarize: bool = Field(
        default=False,
        description="With `execute`: after the rows, a second model call writes a short "
        "answer in words, streamed as `answer` events with a `usage` event of its own.",
    )
    conversation_id: str | None = Field(
        default=None,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Follow up in this conversation (the `conversation_id` of an earlier "
        "answer's `done` event); without it the question starts a new one.",
        examples=[None],
    )

    # mode="before": the blank check must come before the pattern's, whose message is cryptic.
    @field_validator("question", mode="before")
    @classmethod
    def _trimmed_not_blank(cls, value: object) -> object:
        if not isinstance(value, str):
            return value  # the str type check reports it
        value = value.strip()
        if not value:
            raise ValueError("the question must not be blank")
        return value

    @model_validator(mode="after")
    def _summary_needs_rows(self) -> Self:
        if self.summarize and not self.execute:
            raise ValueError("summarize needs execute: the short answer is written from the rows")
        return self


def check_length(question: str, limit: int, location: str) -> None:
    if len(question) > limit:
        raise RequestValidationError(
            [
                {
                    "type": "string_too_long",
                    "loc": (location, "question"),
                    "msg": f"the question is longer than {limit} characters",
                    "input": f"{question[:40]}…",
                    "ctx": {"max_length": limit},
                }
            ]
        )


def _encode(event: StreamEvent, event_id: int) -> bytes:
    """The SSE frame, written once: JSON never holds a raw line break (pydantic escapes them in
    strings), so the data is one `data:` line and needs none of the splitting sse-starlette's
    `ServerSentEvent` does for every frame."""
    head = f"id: {event_id}\r\nevent: {event.event_name}\r\ndata: ".encode()
    return head + event.__pydantic_serializer__.to_json(event) + b"\r\n\r\n"


@dataclass(frozen=True)
class _Thread:
    """The conversation an answer belongs to, and what the follow-up is told of it."""

    conversation: Conversation | None
    history: History | None = None


async def _thread(state: AppState, ask: AskRequest, caller: str) -> _Thread:
    """A follow-up's conversation must exist and be the caller's (anyone's in open mode): a 404
    before the stream, else its last turns; a new question starts a conversation."""
    database = state.database
    owner = NOBODY if state.keys.open else caller
    if ask.conversation_id is None:
        if database is None:
            return _Thread(None)
        return _Thread(Conversation(database.conversations, new_conversation_id(), owner))
    database = await get_database(state)
    store = database.conversations
    if not await store.exists(ask.conversation_id, owner):
        raise Refusal(
            status.HTTP_404_NOT_FOUND,
            "conversation_not_found",
            f"no conversation {ask.conversation_id} to follow up",
        )
    settings = state.settings
    turns = await store.recent_turns(ask.conversation_id, settings.conversation_turns)
    history = History(tuple(turns), settings.conversation_turns, settings.conversation_token_budget)
    return _Thread(Conversation(store, ask.conversation_id, owner), history)


@dataclass(frozen=True)
class Admitted:
    """A question past every check made before its answer starts: valid, allowed, in a
    conversation the caller may follow, and holding its place under the stream ceilings."""

    ask: AskRequest
    thread: _Thread
    ticket: Ticket


async def admit(state: AppState, ask: AskRequest, caller: str, location: str) -> Admitted:
    """Every refusal comes from here, before any model call: a 422, 403, 404, 429 or 503."""
    check_length(ask.question, state.settings.max_question_chars, location)
    if ask.execute and not state.settings.execute:
        raise Refusal(
            status.HTTP_403_FORBIDDEN,
            "execute_disabled",
            "running SQL is switched off on this server (TXT2SQL_EXECUTE=false)",
        )
    thread = await _thread(state, ask, caller)
    return Admitted(ask, thread, await state.admission.admit(caller))


async def answer_events(state: AppState, admitted: Admitted) -> AsyncGenerator[StreamEvent]:
    """The answer's typed events, ending with `done`; the ticket is given back when they end,
    however they end. Every way of asking (the SSE stream, the MCP tool) reads these."""
    request_id = request_id_var.get()
    try:
        # Held until `done` is sent: a shutdown tells this answer wherever it has got to.
        with state.drain.signal() as shutdown:
            try:
                events = _answer(state, admitted, shutdown, request_id)
                async for event in state.observer.watch(events, admitted.ask.question):
                    yield event
            except Exception:
                # The answer has started (an HTTP stream's headers are sent): the failure can
                # only be told as an event.
                logger.exception("stream failed")
                yield ErrorEvent(code="internal_error", message="the service failed; see its logs")
            conversation = admitted.thread.conversation
            conversation_id = conversation.id if conversation else None
            yield DoneEvent(request_id=request_id, conversation_id=conversation_id)
    finally:
        await admitted.ticket.release()


def _answer(
    state: AppState, admitted: Admitted, shutdown: ShutdownSignal, request_id: str
) -> AsyncIterator[StreamEvent]:
    database = state.database
    if database is None:
        return _no_database()
    ask, thread = admitted.ask, admitted.thread
    events = database.answerer.answer(
        ask.question,
        execute=ask.execute,
        summarize=ask.summarize,
        shutdown=shutdown,
        history=thread.history,
    )
    # Kept for feedback on this answer, and for the conversation's next question.
    return recorded(database.answers, events, request_id, ask.question, thread.conversation)


async def _events(state: AppState, admitted: Admitted) -> AsyncIterator[bytes]:
    # aclosing: a client that hangs up closes this generator, and the answer's with it, now
    # (its model call cut off, its ticket given back), not whenever it is collected.
    async with aclosing(answer_events(state, admitted)) as events:
        event_id = 0
        async for event in events:
            event_id += 1
            yield _encode(event, event_id)


async def _no_database() -> AsyncIterator[StreamEvent]:
    yield ErrorEvent(code="database_unavailable", message="no database is configured")


async def _stream(
    state: AppState, ask: AskRequest, caller: str, location: str
) -> EventSourceResponse:
    admitted = await admit(state, ask, caller, location)
    settings = state.settings
    thread = admitted.thread
    headers = {"X-Conversation-ID": thread.conversation.id} if thread.conversation else None
    return EventSourceResponse(
        _events(state, admitted),
        headers=headers,
        ping=settings.ping_seconds,
        send_timeout=settings.send_timeout_seconds,
        background=BackgroundTask(admitted.ticket.release),
    )


@router.post("/ask", response_class=EventSourceResponse, responses=ASK_RESPONSES)
async def ask_post(body: AskRequest, state: StateDep, caller: StreamCaller) -> EventSourceResponse:
    """Answers a question as a stream of events: reasoning, then the SQL."""
    return await _stream(state, body, caller, "body")


@router.get("/ask", response_class=EventSourceResponse, responses=ASK_RESPONSES)
async def ask_get(
    query: Annotated[AskRequest, Query()], state: StateDep, caller: StreamCaller
) -> EventSourceResponse:
    """The same stream for a browser's EventSource, which can only send GET."""
    return await _stream(state, query, caller, "query")
