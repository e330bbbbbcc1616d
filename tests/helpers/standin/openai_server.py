"""A stand-in for OpenAI-compatible chat servers (vLLM, SGLang, Ollama, DashScope's compatible
mode, DeepSeek), spoken to by the real openai SDK: scripted like the DashScope one (`Script`:
answers, reasoning, chunk sizes, delays, error statuses and bodies, mid-stream errors and
breaks), recording every request.

Wire format, as OpenAI's API sends it and the SDK parses it (``openai/_streaming.py``):

* ``POST /v1/chat/completions`` with ``"stream": true`` answers ``text/event-stream``: a
  ``data: {chunk}`` line and a blank line per `chat.completion.chunk`. The first delta has the
  role; then ``reasoning_content`` deltas (DeepSeek, DashScope's compatible mode, vLLM), then
  ``content`` deltas; the last choice has ``finish_reason: "stop"``. With
  ``stream_options.include_usage`` every chunk has ``"usage": null`` and one more chunk follows
  with ``"choices": []`` and the usage. The stream ends with ``data: [DONE]``.
* An error after the stream started is ``data: {"error": {"message", "type", "code"}}``, and
  the stream ends there (vLLM's way; the SDK raises ``APIError``).
* A failure before the stream is a JSON body ``{"error": {"message", "type", "param",
  "code"}}`` with its HTTP status, or a script's ``error_body`` as it is (vLLM's top-level
  ``{"object": "error", "message", "type", "code": 400}``).

The frames are the DashScope stand-in's, one per chunk of text: the role goes out with the
first one, the end (finish, usage, ``[DONE]``) with the last, so both stand-ins take the same
time for the same script. ``python -m tests.helpers.standin.openai_server --port N`` serves it
as a process (the benchmarks do), scripted over HTTP through ``/_standin/*``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from typing import Any

from aiohttp import web

from txt2sql_api.llm.standin import Script, StandIn, prompt_chars, text_chunks

__all__ = ["OpenAIStandIn", "Script"]

# The error `type` and `code` OpenAI gives a status, for a scripted failure that names none.
DEFAULT_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_denied", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def _event(data: dict[str, Any] | str) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


class OpenAIStandIn(StandIn):
    """OpenAI's streaming chat completions, as the openai SDK speaks them."""

    api_path = "/v1"
    name = "openai"

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post(f"{self.api_path}/chat/completions", self._completions)

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        try:
            body: Any = json.loads(await request.read())
        except ValueError:
            body = None
        self._record(request, body)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided.", *DEFAULT_ERRORS[401])
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages must be a non-empty list", "invalid_request_error")
        if body.get("stream") is not True:
            return _error(400, "this stand-in answers streams only", "invalid_request_error")

        script = self._next_script(messages)
        if script.status != 200:
            if script.error_body is not None:
                return web.json_response(script.error_body, status=script.status)
            kind, code = DEFAULT_ERRORS.get(script.status, ("server_error", None))
            return _error(script.status, script.error_message, kind, script.error_code or code)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        frames = _frames(script, body, request_id, prompt_chars(messages), include_usage)
        return await self._stream(request, script, frames, request_id)


def _error(status: int, message: str, kind: str, code: str | None = None) -> web.Response:
    error = {"message": message, "type": kind, "param": None, "code": code}
    return web.json_response({"error": error}, status=status)


def _frames(
    script: Script, body: dict[str, Any], request_id: str, prompt: int, include_usage: bool
) -> list[bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _event(
            {
                "id": request_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.get("model"),
                "choices": [choice],
                **({"usage": None} if include_usage else {}),
            }
        )

    deltas = [{"reasoning_content": c} for c in text_chunks(script.reasoning, script.chunk_size)]
    deltas += [{"content": c} for c in text_chunks(script.content, script.chunk_size)]
    frames = [chunk(delta) for delta in deltas] or [b""]
    frames[0] = chunk({"role": "assistant", "content": ""}) + frames[0]
    if script.error_after is not None:
        error = {
            "message": script.error_message,
            "type": "server_error",
            "code": script.error_code or "internal_error",
        }
        return [*frames[: script.error_after], _event({"error": error})]
    if script.hang:
        return frames
    usage = script.usage or {}
    prompt_tokens = usage.get("input_tokens", prompt)
    completion_tokens = usage.get("output_tokens", len(deltas))
    end = chunk({}, "stop")
    if include_usage:
        end += _event(
            {
                "id": request_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": body.get("model"),
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        )
    frames[-1] += end + _event("[DONE]")
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description="the OpenAI-compatible stand-in, as a process")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--api-key", default="sk-standin")
    args = parser.parse_args()
    with OpenAIStandIn(args.api_key, args.host, args.port):
        threading.Event().wait()


if __name__ == "__main__":
    main()
