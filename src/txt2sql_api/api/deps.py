"""Small dependencies that read the lifespan's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, status

from txt2sql_api.api.errors import Refusal
from txt2sql_api.api.state import AppState, Database


# async: FastAPI runs a plain `def` dependency in its shared thread pool, a hop per request.
async def get_state(request: Request) -> AppState:
    state: AppState = request.state.state
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_database(state: StateDep) -> Database:
    if state.database is None:
        raise Refusal(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "database_unavailable",
            "no database is configured: set DATABASE_URL",
        )
    return state.database


DatabaseDep = Annotated[Database, Depends(get_database)]

# PostgreSQL's OFFSET and ids are bigints: past it, a 422 rather than a database error.
BIGINT_MAX = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
