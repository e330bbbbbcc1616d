"""A local stand-in for DashScope's text-generation HTTP API, spoken to by the real SDK: the
model of the tests and benchmarks, and of `txt2sql-api standin`, which lets a person try the
service without a DashScope key.

Wire format, as parsed by dashscope 2.0.2 (``common/utils.py`` ``_handle_stream`` for the sync
client, ``_handle_aio_stream`` for the async one, ``api_entities/http_request.py``):

* A stream is ``text/event-stream`` with status 200. Each frame is ``id:N``, ``event:result``,
  the ``:HTTP_STATUS/200`` comment line real DashScope sends (the parser skips it), and one
  ``data:`` line holding ``{"output": ..., "usage": ..., "request_id": ...}``.
* A mid-stream error is a frame with ``event:error`` (compared unstripped, so no space after the
  colon) and a ``status:500`` line: the parser takes the status code only from ``status:``,
  defaulting to 400, never from the ``:HTTP_STATUS/`` comment. Its data is
  ``{"code", "message", "request_id"}``.
* A failure before the stream is a plain ``application/json`` response with that HTTP status and
  ``{"code", "message", "request_id"}``.

Which script answers a call: the next one queued (``push``), else, for a call that asks for a
short answer in words (its first user message opens with the ``<result>`` block of the
service's summary prompt), the ``summary`` script when one is given, else the one ``answers``
gives for the call's question (the text after the last ``Question:`` of the first user message,
where the service's prompt puts it), else the default. Script it in process, or over HTTP from
another process via ``/_standin/*``. `StandIn` is what does not depend on the wire; the tests'
stand-in for OpenAI-compatible servers (``tests/helpers/standin/openai_server.py``) is one too.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from functools import partial
from types import TracebackType
from typing import Any, Self

from aiohttp import web

GENERATION_PATH = "/api/v1/services/aigc/text-generation/generation"
# How often a sleeping stream looks at its connection, so a client that went away is noticed
# (and counted in `aborted`) within this many seconds.
DISCONNECT_POLL_SECONDS = 0.01
# Codes for a scripted pre-stream error that names none; any other status gets InternalError.
DEFAULT_ERROR_CODES = {400: "InvalidParameter", 401: "InvalidApiKey", 429: "Throttling.RateQuota"}


@dataclass
class Script:
    """How the stand-in answers one generation request."""

    content: str = ""
    reasoning: str = ""
    chunk_size: int = 8
    first_delay: float = 0.0
    gap: float = 0.0
    status: int = 200
    error_code: str | None = None
    error_message: str = "stand-in error"
    error_after: int | None = None
    usage: dict[str, int] | None = None
    # The answer never finishes: no frame says "stop", and the connection stays open, silent,
    # until the client goes away.
    hang: bool = False
    # After this many frames the connection is cut, with no end and no error: a broken stream.
    break_after: int | None = None
    # A failure's body as it is sent (status != 200), instead of one made of the code and message.
    error_body: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Script:
        if not isinstance(data, dict):
            raise ValueError(f"a script must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown script fields: {sorted(unknown)}")
        return cls(**data)


DEFAULT_SCRIPT = Script(content="好的。\n```sql\nSELECT 1\n```")

# `txt2sql-api standin`: the pace of a real model, slow enough to watch the answer stream in.
_paced = partial(Script, chunk_size=4, first_delay=0.3, gap=0.03)
STANDIN_SUMMARY = _paced(
    content="This is the stand-in model, which does not read the rows: a real model answers "
    "here in one to three sentences, in the question's language."
)
UNKNOWN_QUESTION = _paced(
    content="This is txt2sql-api's stand-in model, which knows only its scripted questions (by "
    "default the demo's, listed on the page). Ask one of them, or give the stand-in your own "
    "with `txt2sql-api standin --answers FILE`."
)


def sql_answers(pairs: Iterable[tuple[str, str]]) -> dict[str, Script]:
    """A script per question that answers with its SQL, as a model would: a sentence, then the
    SQL in a fenced block."""
    return {
        question: _paced(
            reasoning="This is the stand-in's scripted answer to the question.\n",
            content=f"The query for 「{question}」:\n```sql\n{sql}\n```",
        )
        for question, sql in pairs
    }


def text_chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(size, 1))]


def prompt_chars(messages: list[Any]) -> int:
    return sum(
        len(m["content"])
        for m in messages
        if isinstance(m, dict) and isinstance(m.get("content"), str)
    )


def _first_user_message(messages: list[Any]) -> str:
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else ""
    return ""


def _question_of(messages: list[Any]) -> str:
    """The question of a call: what follows the last `Question:` of its first user message."""
    return _first_user_message(messages).rpartition("Question:")[2]


def _asks_for_summary(messages: list[Any]) -> bool:
    return _first_user_message(messages).startswith("<result>")


def _normalized(question: str) -> str:
    return " ".join(question.split())


def _frame(event_id: int, event: str, http_status: int, data: dict[str, Any]) -> bytes:
    lines = [f"id:{event_id}", f"event:{event}", f":HTTP_STATUS/{http_status}"]
    if event == "error":
        lines.append(f"status:{http_status}")
    lines.append("data:" + json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


def _result_payloads(
    script: Script, input_tokens: int, request_id: str, finishes: bool
) -> list[dict[str, Any]]:
    """The data of every result frame: reasoning chunks, then content chunks, usage cumulative."""
    messages = [
        {"content": "", "reasoning_content": c}
        for c in text_chunks(script.reasoning, script.chunk_size)
    ]
    messages += [
        {"content": c, "reasoning_content": ""}
        for c in text_chunks(script.content, script.chunk_size)
    ]
    if not messages and finishes:
        # Even an empty answer ends with one frame, as the real API's final frame carries "stop".
        messages = [{"content": "", "reasoning_content": ""}]
    usage = script.usage or {}
    input_tokens = usage.get("input_tokens", input_tokens)
    total_output = usage.get("output_tokens", len(messages))
    payloads = []
    for index, message in enumerate(messages, start=1):
        output_tokens = total_output * index // len(messages)
        last = finishes and index == len(messages)
        payloads.append(
            {
                "output": {
                    "choices": [
                        {
                            "message": {**message, "role": "assistant"},
                            "finish_reason": "stop" if last else "null",
                        }
                    ]
                },
                "usage": {
                    "total_tokens": input_tokens + output_tokens,
                    "output_tokens": output_tokens,
                    "input_tokens": input_tokens,
                },
                "request_id": request_id,
            }
        )
    return payloads


def _stream_frames(script: Script, payloads: list[dict[str, Any]], request_id: str) -> list[bytes]:
    if script.error_after is None:
        return [_frame(i, "result", 200, p) for i, p in enumerate(payloads, start=1)]
    frames = [_frame(i, "result", 200, p) for i, p in enumerate(payloads[: script.error_after], 1)]
    error = {
        "code": script.error_code or "InternalError",
        "message": script.error_message,
        "request_id": request_id,
    }
    return [*frames, _frame(len(frames) + 1, "error", 500, error)]


class StandIn:
    """An aiohttp server on its own thread and event loop, answering with queued `Script`s: what
    a stand-in for any provider does beside speaking its wire (`_add_routes`)."""

    # The provider's API under the server's root, and the name of the server's thread.
    api_path = "/api/v1"
    name = "standin"

    def __init__(
        self,
        api_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        answers: Mapping[str, Script] | None = None,
        summary: Script | None = None,
    ) -> None:
        self.api_key = api_key
        self.summary = summary
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._queue: deque[Script] = deque()
        self._answers = {_normalized(q): script for q, script in (answers or {}).items()}
        self._default = DEFAULT_SCRIPT
        self._requests: list[dict[str, Any]] = []
        self._counts = {"started": 0, "completed": 0, "aborted": 0, "broken": 0, "active": 0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping = threading.Event()

    # -- scripting and inspection, safe from any thread ------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{self.api_path}"

    @property
    def default(self) -> Script:
        with self._lock:
            return self._default

    @default.setter
    def default(self, script: Script) -> None:
        with self._lock:
            self._default = script

    def push(self, *scripts: Script) -> None:
        with self._lock:
            self._queue.extend(scripts)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._default = DEFAULT_SCRIPT
            # `active` describes streams still running, which a reset does not end.
            self._counts = {**dict.fromkeys(self._counts, 0), "active": self._counts["active"]}

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    @property
    def started(self) -> int:
        return self._count("started")

    @property
    def completed(self) -> int:
        return self._count("completed")

    @property
    def aborted(self) -> int:
        return self._count("aborted")

    @property
    def active(self) -> int:
        return self._count("active")

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {**self._counts, "queued": len(self._queue), "requests": len(self._requests)}

    def wait_for(self, predicate: Callable[[Self], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"stand-in condition not met within {timeout}s: {self.stats()}"
                )
            time.sleep(DISCONNECT_POLL_SECONDS)

    def _count(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def _bump(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                self._counts[name] += delta

    def _next_script(self, messages: list[Any]) -> Script:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            if self.summary is not None and _asks_for_summary(messages):
                return self.summary
            answer = self._answers.get(_normalized(_question_of(messages)))
            return answer or self._default

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._stopping.clear()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name=f"{self.name}-standin", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._loop is not None and self._thread is not None
        # Hanging streams see this flag and return, so shutdown does not wait on them.
        self._stopping.set()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop = self._thread = None

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:
                failure.append(exc)
                return
            finally:
                ready.set()
            loop.run_forever()
            assert self._runner is not None
            loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _start(self) -> None:
        app = web.Application()
        self._add_routes(app)
        app.router.add_post("/_standin/script", self._control_push)
        app.router.add_put("/_standin/default", self._control_default)
        app.router.add_post("/_standin/reset", self._control_reset)
        app.router.add_get("/_standin/requests", self._control_requests)
        app.router.add_get("/_standin/stats", self._control_stats)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def _add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def _record(self, request: web.Request, body: Any) -> None:
        with self._lock:
            self._requests.append(
                {
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": body,
                    "path": request.path,
                    # Wall-clock time of arrival: benchmarks time the hop to the upstream with it.
                    "received": time.time(),
                    # The client's address and port: the same one twice is a reused connection.
                    "peer": list(request.transport.get_extra_info("peername") or [])
                    if request.transport
                    else [],
                }
            )

    async def _stream(
        self, request: web.Request, script: Script, frames: list[bytes], request_id: str
    ) -> web.StreamResponse:
        """Sends the frames at the script's pace, as server-sent events."""
        response = web.StreamResponse(
            headers={"x-request-id": request_id, "Cache-Control": "no-cache"}
        )
        response.content_type = "text/event-stream"
        response.charset = "utf-8"
        await response.prepare(request)
        self._bump(started=1, active=1)
        ended = False
        try:
            for index, frame in enumerate(frames):
                if not await self._pause(script.first_delay if index == 0 else script.gap):
                    return response
                if index == script.break_after:
                    self._bump(broken=1, active=-1)
                    ended = True
                    # What was written goes out first; then the connection ends mid-body.
                    assert request.transport is not None
                    request.transport.close()
                    return response
                if index == len(frames) - 1 and not script.hang:
                    # Counted before the write, so that a client which has just read the last
                    # frame already sees `completed`; no await separates it from the check above
                    # that the client is still there.
                    self._bump(completed=1, active=-1)
                    ended = True
                await response.write(frame)
            if script.hang:
                await self._pause(math.inf)
            else:
                await response.write_eof()
        except ConnectionResetError:
            pass  # the client went away mid-write: counted as aborted below
        finally:
            if not ended:
                self._bump(aborted=1, active=-1)
        return response

    async def _pause(self, seconds: float) -> bool:
        """Sleep; False if the server is stopping. A client that goes away cancels the handler
        (`handler_cancellation`), so no polling is needed: a thousand sleeping streams cost
        nothing, which keeps the stand-in out of the benchmark's figures."""
        if math.isinf(seconds):
            # A thread's event (the stand-in also serves threads): polled, rarely.
            while not self._stopping.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.5)
        elif seconds > 0:
            await asyncio.sleep(seconds)
        return not self._stopping.is_set()

    # -- control endpoints, for scripting from another process --------------------------------

    async def _control_push(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            if not isinstance(data, list):
                raise ValueError("expected a JSON list of scripts")
            scripts = [Script.from_dict(item) for item in data]
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        self.push(*scripts)
        return web.json_response({"queued": len(scripts)})

    async def _control_default(self, request: web.Request) -> web.Response:
        try:
            script = Script.from_dict(await request.json())
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        self.default = script
        return web.json_response(asdict(script))

    async def _control_reset(self, _request: web.Request) -> web.Response:
        self.reset()
        return web.json_response(self.stats())

    async def _control_requests(self, _request: web.Request) -> web.Response:
        return web.json_response(self.requests, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _control_stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats())


class DashScopeStandIn(StandIn):
    """DashScope's text-generation API, as its SDK speaks it."""

    name = "dashscope"

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post(GENERATION_PATH, self._generation)

    async def _generation(self, request: web.Request) -> web.StreamResponse:
        request_id = str(uuid.uuid4())
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        self._record(request, body)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._error(401, "InvalidApiKey", "Invalid API-key provided.", request_id)
        given = body.get("input") if isinstance(body, dict) else None
        messages = given.get("messages") if isinstance(given, dict) else None
        if not isinstance(messages, list) or not messages:
            return self._error(
                400, "InvalidParameter", "input.messages must be a non-empty list", request_id
            )

        script = self._next_script(messages)
        if script.status != 200:
            if script.error_body is not None:
                return web.json_response(script.error_body, status=script.status)
            code = script.error_code or DEFAULT_ERROR_CODES.get(script.status, "InternalError")
            return self._error(script.status, code, script.error_message, request_id)
        input_tokens = prompt_chars(messages)
        if request.headers.get("X-DashScope-SSE") != "enable":
            return await self._whole(script, input_tokens, request_id)
        finishes = script.error_after is None and not script.hang
        payloads = _result_payloads(script, input_tokens, request_id, finishes)
        return await self._stream(
            request, script, _stream_frames(script, payloads, request_id), request_id
        )

    async def _whole(
        self,
        script: Script,
        input_tokens: int,
        request_id: str,
    ) -> web.StreamResponse:
        """A non-streaming call: the whole answer in one JSON body, after `first_delay`."""
        await self._pause(script.first_delay)
        final = _result_payloads(script, input_tokens, request_id, finishes=True)[-1]
        final["output"]["choices"][0]["message"].update(
            content=script.content, reasoning_content=script.reasoning
        )
        return web.json_response(final, headers={"x-request-id": request_id})

    @staticmethod
    def _error(status: int, code: str, message: str, request_id: str) -> web.Response:
        return web.json_response(
            {"code": code, "message": message, "request_id": request_id},
            status=status,
            headers={"x-request-id": request_id},
        )
