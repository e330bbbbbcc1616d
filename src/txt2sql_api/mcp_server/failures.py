"""Every refusal and failure a tool or resource can meet, told as our error code and message:
an MCP tool error (`isError`, its text a JSON object) or a resource error, never a crash of the
session."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar, cast

from fastapi.exceptions import RequestValidationError
from mcp.server.mcpserver.exceptions import ResourceError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field, ValidationError

from txt2sql_api.api.errors import Refusal
from txt2sql_api.db.pool import DATABASE_ERRORS, database_unavailable
from txt2sql_api.errors import ServiceError
from txt2sql_api.sql.outcome import Refused, SqlProblem

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


class Failure(BaseModel):
    """The text of a tool error: the codes of docs/mcp.md, the same as docs/api.md's."""

    code: str
    message: str
    retryable: bool = False
    problems: list[SqlProblem] = Field(
        default_factory=list, description="`sql_refused`: what the checks found."
    )


# Where a check says the value came from; an MCP caller knows only its arguments' names.
_LOCATIONS = ("body", "query", "arguments")


def _errors_in_words(errors: list[Any]) -> str:
    def one(error: Any) -> str:
        field = ".".join(str(part) for part in error["loc"] if part not in _LOCATIONS)
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{field}: {message}" if field else message

    return "; ".join(one(error) for error in errors)


def described(exc: Exception) -> Failure | None:
    """`exc` as a failure we tell the caller about; None for a bug."""
    if isinstance(exc, Refusal):
        return Failure(code=exc.code, message=str(exc.detail), retryable=exc.retryable)
    if isinstance(exc, ValidationError | RequestValidationError):
        return Failure(code="invalid_input", message=_errors_in_words(list(exc.errors())))
    if isinstance(exc, Refused):
        return Failure(code="sql_refused", message=str(exc), problems=exc.problems)
    if isinstance(exc, DATABASE_ERRORS):
        exc = database_unavailable(exc)
    if isinstance(exc, ServiceError):
        return Failure(code=exc.code, message=exc.message, retryable=exc.retryable)
    return None


def told_as_tool_errors(tool: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The tool, answering a failure we know as a tool error: its text and structured content
    the JSON object of `Failure` (the SDK's own ToolError would prefix the text with words)."""

    @functools.wraps(tool)
    async def told(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await tool(*args, **kwargs)
        except Exception as exc:
            failure = described(exc)
            if failure is None:
                raise  # a bug: the SDK logs it with its traceback, the caller gets no details
            logger.info("tool %s refused: %s", tool.__name__, failure.code)
            text = failure.model_dump_json(exclude_defaults=True)
            error = CallToolResult(
                is_error=True,
                content=[TextContent(type="text", text=text)],
                structured_content=failure.model_dump(mode="json", exclude_defaults=True),
            )
            # The SDK passes a CallToolResult through as it is, whatever the tool's annotation.
            return cast(R, error)

    return told


@contextmanager
def as_resource_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        failure = described(exc)
        if failure is None:
            raise
        raise ResourceError(json.dumps(failure.model_dump(exclude_defaults=True))) from exc
