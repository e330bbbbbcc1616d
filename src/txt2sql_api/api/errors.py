"""Failures told as HTTP errors, the same way on every route: a database that is away is a 503
that names no server, SQL the checks refuse is a 422 in the documented validation shape."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from txt2sql_api.db.pool import DATABASE_ERRORS, database_unavailable
from txt2sql_api.sql.outcome import SqlProblem

logger = logging.getLogger(__name__)

DATABASE_DOWN: dict[int | str, dict[str, Any]] = {
    503: {"description": "The database cannot be reached; retry after `Retry-After`."}
}


class Refusal(HTTPException):
    """A request refused before any work is done: an HTTP error for the routes, and a stable
    `code` for callers that never see the status (the MCP tools)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        *,
        retryable: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, detail, headers=headers)
        self.code = code
        self.retryable = retryable


def refused(problems: list[SqlProblem], location: tuple[str, ...]) -> RequestValidationError:
    """The documented validation-error shape (loc, msg, type), and the guard's own names."""
    return RequestValidationError(
        [{"type": p.code, "loc": location, "msg": p.message, **p.model_dump()} for p in problems]
    )


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """A route that needs the database while it is away: never a 500 with a traceback."""
    logger.warning("database unavailable: %s", exc)
    error = database_unavailable(exc)
    detail = error.message if error is exc else type(exc).__name__
    return JSONResponse(
        {"detail": f"database unavailable: {detail}"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "1"},
    )


def install(app: FastAPI) -> None:
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _database_unavailable)
