from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from txt2sql_api.api.deps import StateDep
from txt2sql_api.api.openapi import json_example
from txt2sql_api.api.security.auth import api_caller

router = APIRouter(prefix="/v1/tokens", tags=["access"])


class StreamTokenOut(BaseModel):
    token: str = Field(description="Pass as `?token=` on GET /v1/ask; bound to the key used here.")
    expires_at: int = Field(description="Unix time after which the token is refused.")
    expires_in: int = Field(description="Seconds the token stays valid.")


_EXAMPLE = StreamTokenOut(
    token="v1.3f9c2a1b0d4e5f60.1795766400.kR2vQ9x…", expires_at=1795766400, expires_in=300
)


@router.post("", status_code=201, responses={201: json_example("A token.", _EXAMPLE)})
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
