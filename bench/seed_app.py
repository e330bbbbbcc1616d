"""The seed's approach, re-created for the streaming benchmark: Flask, `stream_with_context`, and
Werkzeug's threaded server, one thread per request, each blocked in the DashScope SDK's
streaming call for the whole answer.

`python -m bench.seed_app --port P` serves `POST /v1/ask` with `{"question": ...}` and streams
SSE: an `event: thinking` per chunk of the model's text, then `event: sql` with the query of the
answer's ```sql block, then `event: done`; `event: error` when the model call fails. The SDK is
the real one, configured the way ours is, from the environment: `DASHSCOPE_API_KEY`, and
`DASHSCOPE_HTTP_BASE_URL` for where model requests go (the stand-in, in the benchmark).

Only the streaming path of the seed is kept. It did no schema pruning, no example retrieval,
no SQL guard, no `EXPLAIN` and no database work at all, and this re-creation does none either;
its access log is off, as our service's is in the benchmark. All of that flatters the seed: it
spends less CPU per stream than our service does, so the comparison is conservative for us.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from dashscope import Generation
from flask import Flask, Response, request, stream_with_context
from werkzeug.serving import run_simple

MODEL = "qwen-plus"
SYSTEM_PROMPT = (
    "You are an expert PostgreSQL analyst. Explain briefly how you understand the question, "
    "then give exactly one ```sql fenced code block with one read-only SELECT."
)
SQL_BLOCK = re.compile(r"```sql\s*(.*?)```", re.DOTALL | re.IGNORECASE)

app = Flask(__name__)


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _text_of(response: Any) -> str:
    choices = (response.output or {}).get("choices") or []
    return "".join((choice.get("message") or {}).get("content") or "" for choice in choices)


@app.post("/v1/ask")
def ask() -> Response | tuple[dict[str, str], int]:
    body = request.get_json(silent=True) or {}
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        return {"error": "question is required"}, 400

    def gen() -> Iterator[str]:
        answer: list[str] = []
        try:
            responses = Generation.call(
                model=MODEL,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": question},
                ],
                api_key=os.environ.get("DASHSCOPE_API_KEY"),
                stream=True,
                incremental_output=True,
                result_format="message",
            )
            for response in responses:
                if response.status_code != 200:
                    yield sse("error", {"code": response.code, "message": response.message})
                    return
                if text := _text_of(response):
                    answer.append(text)
                    yield sse("thinking", {"delta": text})
        except Exception as exc:  # the seed told the client, whatever went wrong
            yield sse("error", {"code": type(exc).__name__, "message": str(exc)})
            return
        match = SQL_BLOCK.search("".join(answer))
        if match is None:
            yield sse("error", {"code": "no_sql", "message": "the answer has no ```sql block"})
            return
        yield sse("sql", {"sql": match.group(1).strip()})
        yield sse("done", {})

    return Response(
        stream_with_context(gen()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    # No line per request (ours runs at WARNING in the benchmark too), no banner.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
