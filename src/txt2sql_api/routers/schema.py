from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from txt2sql_api.deps import SchemaCacheDep
from txt2sql_api.introspect import SchemaSnapshot
from txt2sql_api.openapi import EXAMPLE_SCHEMA, ErrorDetail, json_example
from txt2sql_api.pipeline import DATABASE_ERRORS

router = APIRouter(prefix="/v1", tags=["schema"])


@router.get(
    "/schema",
    responses={
        200: json_example("The tables, columns and keys shown to the model.", EXAMPLE_SCHEMA),
        503: {"model": ErrorDetail, "description": "No database, or it cannot be read."},
    },
)
async def get_schema(cache: SchemaCacheDep) -> SchemaSnapshot:
    """The introspected schema the model is shown (the service's own tables never are)."""
    try:
        return await cache.get()
    except DATABASE_ERRORS as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"database unavailable: {type(exc).__name__}"
        ) from exc
