"""The OpenAI-compatible stand-in's wire, read as raw HTTP: what the openai SDK parses (the
client's tests read it through the SDK)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.helpers.app import TEST_API_KEY
from tests.helpers.standin.openai_server import OpenAIStandIn, Script

HI = [{"role": "user", "content": "hi"}]


def post(standin: OpenAIStandIn, key: str = TEST_API_KEY, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{standin.base_url}/chat/completions",
        json={"model": "qwen-plus", "messages": HI, "stream": True} | body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def data_lines(response: httpx.Response) -> list[str]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [b for b in response.text.split("\n\n") if b]
    assert all(b.startswith("data: ") and "\n" not in b for b in blocks), blocks
    return [b.removeprefix("data: ") for b in blocks]


def test_a_stream_is_chunks_then_the_usage_chunk_then_done(
    openai_standin: OpenAIStandIn,
) -> None:
    openai_standin.push(Script(reasoning="想", content="SELECT 1", chunk_size=4))
    lines = data_lines(post(openai_standin, stream_options={"include_usage": True}))
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    deltas = [c["choices"][0]["delta"] for c in chunks[:-1]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert deltas[1:] == [
        {"reasoning_content": "想"},
        {"content": "SELE"},
        {"content": "CT 1"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks[:-1]] == [None] * 4 + ["stop"]
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}


def test_without_include_usage_there_is_no_usage(openai_standin: OpenAIStandIn) -> None:
    lines = data_lines(post(openai_standin))
    assert lines[-1] == "[DONE]"
    assert all("usage" not in json.loads(line) for line in lines[:-1])


def test_errors_are_openai_shaped_bodies(openai_standin: OpenAIStandIn) -> None:
    refused = post(openai_standin, key="sk-wrong")
    assert refused.status_code == 401
    assert refused.json() == {
        "error": {
            "message": "Incorrect API key provided.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    openai_standin.push(Script(status=429))
    throttled = post(openai_standin)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "rate_limit_exceeded"

    openai_standin.push(Script(content="abcd", chunk_size=2, error_after=1, error_code="boom"))
    lines = data_lines(post(openai_standin))
    assert json.loads(lines[-1]) == {
        "error": {"message": "stand-in error", "type": "server_error", "code": "boom"}
    }
    assert "[DONE]" not in lines
    assert [r["body"]["messages"] for r in openai_standin.requests] == [HI] * 3
