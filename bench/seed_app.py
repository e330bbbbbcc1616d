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
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, request, stream_with_context
from werkzeug.serving import run_simple

from bench.seed_model_call import call, event_of, last_events

app = Flask(__name__)


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@app.post("/v1/ask")
def ask() -> Response | tuple[dict[str, str], int]:
    body = request.get_json(silent=True) or {}
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        return {"error": "question is required"}, 400

    def gen() -> Iterator[str]:
        answer: list[str] = []
        try:
            for response in call(question):
                if event := event_of(response, answer):
                    yield sse(*event)
                    if event[0] == "error":
                        return
        except Exception as exc:  # the seed told the client, whatever went wrong
            if event := event_of(exc, answer):
                yield sse(*event)
            return
        for event in last_events(answer):
            yield sse(*event)

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
