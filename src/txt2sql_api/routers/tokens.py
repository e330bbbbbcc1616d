from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from txt2sql_api.access import api_caller
from txt2sql_api.deps import StateDep

router = APIRouter(prefix="/v1/tokens", tags=["access"])


class StreamTokenOut(BaseModel):
    token: str = Field(description="Pass as `?token=` on GET /v1/ask; bound to the key used here.")
    expires_at: int = Field(description="Unix time after which the token is refused.")
    expires_in: int = Field(description="Seconds the token stays valid.")


@router.post("", status_code=201)
async def issue_token(
    state: StateDep, caller: Annotated[str, Depends(api_caller)]
) -> StreamTokenOut:
    """A short-lived token for a browser's EventSource, which cannot send an API key header."""
    issued = state.keys.issue(caller)
    return StreamTokenOut(
        token=issued.token,
        expires_at=issued.expires_at,
        expires_in=state.settings.stream_token_seconds,
    )
