"""The tools and resources, the same over HTTP and stdio. Each call finds the service's state in
the MCP lifespan's context and its caller in the HTTP request (`http.py` identified it), takes
one request off the caller's rate quota as a `/v1` request does, and then calls the same code
as the `/v1` route that does the same thing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, aclosing
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field
from starlette.requests import Request

from txt2sql_api.api.deps import get_database
from txt2sql_api.api.routes.ask import AskRequest, admit, answer_events, check_length
from txt2sql_api.api.routes.schema import SchemaView, schema_view
from txt2sql_api.api.security.auth import admit_request
from txt2sql_api.api.security.keys import OPEN_CALLER
from txt2sql_api.api.state import AppState
from txt2sql_api.examples.store import Example, ExampleIn
from txt2sql_api.mcp_server.failures import as_resource_errors, told_as_tool_errors
from txt2sql_api.mcp_server.results import AskResult, ExampleResult, gathered
from txt2sql_api.observability.context import caller_var, request_id_var

# Where `http.py` leaves the caller it identified, in the ASGI scope of the request.
CALLER_SCOPE_KEY = "txt2sql.caller"
# Over stdio the agent runs the command itself, as the user who could read the settings.
STDIO_CALLER = f"{OPEN_CALLER}:stdio"
# As `GET /v1/examples` pages them.
EXAMPLES_SHOWN = 1000

INSTRUCTIONS = """\
Answers questions about a PostgreSQL database in plain language (Chinese or English) with one \
checked, read-only SQL query, and runs it on request. Call `ask` with the user's question as \
they put it; set `execute` to get the rows too. Pass the `conversation_id` of an answer to ask \
a follow-up ("and last month?"). `describe_schema` shows which tables a question would be \
answered from, and why. After the user confirms an answer is right, `add_example` stores it, \
and later questions like it are answered from it. SQL that does not pass the checks comes back \
with `valid: false` and its problems, and is never run. Errors are JSON objects with a `code`."""


@dataclass(frozen=True)
class _Call:
    state: AppState
    caller: str


_call: ContextVar[_Call] = ContextVar("mcp_call")


async def _identified(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Every message's caller and request id, for the handler and the log lines it writes:
    over HTTP the request's (one message a request); over stdio a new one for each message."""
    request = ctx.request
    if isinstance(request, Request):
        caller, request_id = request.scope[CALLER_SCOPE_KEY], request_id_var.get()
    else:
        caller, request_id = STDIO_CALLER, uuid.uuid4().hex
    request_id_token = request_id_var.set(request_id)
    caller_token = caller_var.set(caller)
    call_token = _call.set(_Call(ctx.lifespan_context, caller))
    try:
        return await call_next(ctx)
    finally:
        _call.reset(call_token)
        caller_var.reset(caller_token)
        request_id_var.reset(request_id_token)


async def _admitted() -> _Call:
    call = _call.get()
    await admit_request(call.state, call.caller)
    return call


async def ask(
    question: Annotated[
        str, Field(description="The user's question, as they asked it, in any language.")
    ],
    ctx: Context[AppState, Any],
    execute: Annotated[
        bool,
        Field(description="Also run the SQL (read-only, time- and row-limited) and return rows."),
    ] = False,
    conversation_id: Annotated[
        str | None,
        Field(description="The `conversation_id` of an earlier answer, to ask a follow-up."),
    ] = None,
) -> AskResult:
    """Writes one checked, read-only PostgreSQL query that answers a question about the
    database, and with `execute` runs it. Use it for any question the data can answer ("how many
    exits does 沈塘桥 station have", "daily ridership last week by line"); ask in the user's own
    words, without writing SQL yourself. The model's reasoning arrives as progress
    notifications. `valid: false` means the SQL failed the checks and was not run: read
    `problems`. A `clarify` asks the user something: send their reply with `conversation_id`."""
    call = await _admitted()
    asked = AskRequest(question=question, execute=execute, conversation_id=conversation_id)
    admitted = await admit(call.state, asked, call.caller, "arguments")

    async def progress(step: float, message: str) -> None:
        await ctx.report_progress(step, message=message)

    try:
        # aclosing: a cancelled call (client gone, `notifications/cancelled`) cuts the model call
        # and the query off now, as a hung-up `/v1/ask` stream does.
        async with aclosing(answer_events(call.state, admitted)) as events:
            return await gathered(events, progress)
    finally:
        await admitted.ticket.release()  # when cancelled before the answer began


async def describe_schema(
    question: Annotated[
        str | None,
        Field(description="Show only the tables this question would be answered from, and why."),
    ] = None,
) -> SchemaView:
    """The tables, columns (with types and comments), keys and known values of the database
    that questions are answered from. With `question`: only the tables that question's answer
    would be written from, each with its score and reasons. Use it to explain or check an
    answer, or to see what can be asked; `ask` needs no call to it first."""
    call = await _admitted()
    question = (question or "").strip() or None
    if question is not None:
        check_length(question, call.state.settings.max_question_chars, "arguments")
    return await schema_view(await get_database(call.state), question)


async def add_example(
    question: Annotated[str, Field(description="The question, as a user would ask it.")],
    sql: Annotated[str, Field(description="The SQL that answers it, verified as right.")],
    note: Annotated[str | None, Field(description="Why this SQL is right, for people.")] = None,
) -> ExampleResult:
    """Stores a verified question→SQL pair: later questions like it are answered from it (the
    same question, from its SQL, without a model call). Call it only once the user has confirmed
    the SQL gives the right answer, e.g. an `ask` answer they checked. The SQL must pass the same
    checks as any answer, or the call fails with `sql_refused` and its problems. A question
    stored already gets this SQL."""
    call = await _admitted()
    pair = ExampleIn(question=question, sql=sql, note=note)
    database = await get_database(call.state)
    example, outcome = await database.teacher.teach(pair.pair())
    return ExampleResult(example=example, outcome=outcome)


class ExamplesList(BaseModel):
    total: int = Field(description="How many pairs are stored.")
    examples: list[Example] = Field(description=f"The first {EXAMPLES_SHOWN}, oldest first.")


async def _tables() -> str:
    with as_resource_errors():
        call = await _admitted()
        view = await schema_view(await get_database(call.state), None)
    return view.model_dump_json()


async def _examples() -> str:
    with as_resource_errors():
        call = await _admitted()
        store = (await get_database(call.state)).retriever.store
        examples, total = await store.page(limit=EXAMPLES_SHOWN, offset=0, text=None)
    return ExamplesList(total=total, examples=examples).model_dump_json()


def _hints(*, read_only: bool, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=read_only,
        destructive_hint=False,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def build_server(
    lifespan: Callable[[], AbstractAsyncContextManager[AppState]],
) -> MCPServer[AppState]:
    """The MCP server; `lifespan` yields the service's state (built by whoever runs it)."""
    server: MCPServer[AppState] = MCPServer(
        "txt2sql-api",
        title="txt2sql-api: questions about a PostgreSQL database, answered as checked SQL",
        instructions=INSTRUCTIONS,
        version="0.1.0",
        lifespan=lambda _server: lifespan(),
        middleware=[_identified],
    )
    # Closed world: only this service's database. `ask` only reads, whatever the model wrote.
    server.add_tool(
        told_as_tool_errors(ask), title="Ask the database", annotations=_hints(read_only=True)
    )
    server.add_tool(
        told_as_tool_errors(describe_schema),
        title="Describe the schema",
        annotations=_hints(read_only=True, idempotent=True),
    )
    # Idempotent: storing the same pair again changes nothing.
    server.add_tool(
        told_as_tool_errors(add_example),
        title="Store a verified example",
        annotations=_hints(read_only=False, idempotent=True),
    )
    server.resource(
        "schema://tables",
        name="tables",
        title="The schema shown to the model",
        description="Every table questions are answered from: columns, types, comments, keys.",
        mime_type="application/json",
    )(_tables)
    server.resource(
        "examples://list",
        name="examples",
        title="The verified examples",
        description="The stored question→SQL pairs that answers learn from.",
        mime_type="application/json",
    )(_examples)
    return server
