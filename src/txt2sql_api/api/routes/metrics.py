from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from txt2sql_api.api.deps import StateDep

router = APIRouter(tags=["observability"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(state: StateDep) -> Response:
    """Prometheus metrics of this instance (of every worker, with `serve --workers N`)."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
