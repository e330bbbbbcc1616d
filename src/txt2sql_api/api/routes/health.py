from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from txt2sql_api.api.deps import StateDep
from txt2sql_api.api.openapi import json_example
from txt2sql_api.db.pool import DATABASE_ERRORS, why_unavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    detail: str | None = None


_UNREADY = Health(
    status="unavailable",
    detail="database unreachable: nothing accepts connections at the server's address",
)


@router.get("/healthz", responses={200: json_example("Alive.", Health(status="ok"))})
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={
        200: json_example("The database answers.", Health(status="ready")),
        503: {"model": Health, **json_example("The database does not answer.", _UNREADY)},
    },
)
async def readyz(state: StateDep) -> Health | JSONResponse:
    """The database answers and its schema is loaded (a schema not loaded yet is read now)."""
    if state.database is None:
        return _not_ready("no database is configured")
    try:
        async with state.database.pool.acquire(
            timeout=state.settings.db_acquire_timeout_seconds
        ) as conn:
            await conn.fetchval("SELECT 1", timeout=state.settings.db_acquire_timeout_seconds)
    except DATABASE_ERRORS as exc:
        return _not_ready(f"database {why_unavailable(exc)}")
    try:
        schema = await state.database.schema_cache.get()
    except DATABASE_ERRORS as exc:
        return _not_ready(f"schema not loaded: {why_unavailable(exc)}")
    return Health(status="ready", detail=f"schema: {len(schema.snapshot.tables)} tables")


def _not_ready(detail: str) -> JSONResponse:
    return JSONResponse(Health(status="unavailable", detail=detail).model_dump(), status_code=503)
