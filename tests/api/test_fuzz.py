"""schemathesis against /openapi.json: every operation fuzzed, zero server errors.

Each operation gets a bounded number of generated requests (valid and invalid), sent with a key
and checked against the documented statuses, content types and response schemas. Streams of
/v1/ask are read to their end (the stand-in answers at once): each event must be one of the
typed events (events.py) and the last one `done`. The OpenAPI document describes the stream as
a string, so schemathesis's own schema check is left out for that operation only. Left out
everywhere: "schema-valid data is accepted", since the service checks meaning no schema says
(an example's SQL must be one read-only query; the longest question is a setting).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import dashscope
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance, response_schema_conformance
from schemathesis.python import asgi

from tests.helpers.app import KEY, settings_for
from tests.helpers.pg import Databases, new_demo_database
from tests.helpers.standin.dashscope_server import DashScopeStandIn
from txt2sql_api.answer.events import EVENT_TYPES
from txt2sql_api.app import create_app

# Generated requests per operation: enough to hit every parameter's edge cases, few enough for CI.
EXAMPLES_PER_OPERATION = 50
STREAM_PATH = "/v1/ask"
AUTH = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
async def fuzz_db(databases: Databases) -> str:
    """A demo database of its own: the fuzzer stores examples."""
    return await new_demo_database(databases)


@pytest.fixture(scope="module")
def api(fuzz_db: str, standin_server: DashScopeStandIn) -> Iterator[Any]:
    previous = dashscope.base_http_api_url
    dashscope.base_http_api_url = standin_server.base_url
    standin_server.reset()
    app = create_app(
        settings_for(
            fuzz_db,
            api_keys=KEY,
            rate_limit_burst=100_000,
            max_streams_per_key=100,
            max_question_chars=200,
        )
    )
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()  # schemathesis started the app's lifespan; stop it here
        dashscope.base_http_api_url = previous


EVENT_MODELS = {model.event_name: model for model in EVENT_TYPES}


def stream_event_names(body: str) -> list[str]:
    """Each event of an SSE body, checked against its typed model."""
    names: list[str] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            EVENT_MODELS[fields["event"]].model_validate(json.loads(fields["data"]))
            names.append(fields["event"])
    return names


def test_every_operation_survives_fuzzing_without_a_server_error(api: Any) -> None:
    statuses: Counter[tuple[str, int]] = Counter()
    operations = [result.ok() for result in api.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/ask", "/v1/schema", "/metrics", "/readyz"}

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            response = case.call(headers=AUTH)
            statuses[(case.operation.label, response.status_code)] += 1
            streamed = case.operation.path == STREAM_PATH
            excluded = [positive_data_acceptance]
            if streamed:
                excluded.append(response_schema_conformance)
            case.validate_response(response, headers=AUTH, excluded_checks=excluded)
            if streamed and response.status_code == 200:
                names = stream_event_names(response.text)
                assert names and names[-1] == "done", names

        fuzz()

    sent = sum(statuses.values())
    server_errors = {k: n for k, n in statuses.items() if k[1] >= 500 and k[0] != "GET /readyz"}
    assert server_errors == {}, statuses
    assert sent >= len(operations) * 10
