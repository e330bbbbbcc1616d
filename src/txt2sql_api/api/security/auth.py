"""Who may call /v1 and how often: router-level dependencies.

`api_caller` guards every /v1 route: an API key in `Authorization: Bearer` or `X-API-Key`, then
the caller's request rate. `stream_caller` also takes a `?token=` from POST /v1/tokens, on
GET /v1/ask only (a browser's EventSource cannot send headers). The live-stream ceilings are
taken later, once the question is valid (`api.admission`).
"""

from __future__ import annotations

import logging
import math
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from txt2sql_api.api.deps import StateDep
from txt2sql_api.api.errors import Refusal
from txt2sql_api.api.security.keys import OPEN_CALLER
from txt2sql_api.api.state import AppState
from txt2sql_api.observability.context import caller_var

logger = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")
_token = APIKeyQuery(
    name="token",
    auto_error=False,
    description="GET /v1/ask only: a short-lived token from POST /v1/tokens, for EventSource.",
)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="txt2sql-api"'}

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid API key (or stream token); see `WWW-Authenticate`."},
    429: {"description": "Past the caller's rate or live-stream quota; retry after `Retry-After`."},
}

Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
ApiKey = Annotated[str | None, Security(_api_key)]
Token = Annotated[str | None, Security(_token)]


def _unauthorized(state: AppState, detail: str) -> HTTPException:
    state.metrics.refused.labels("unauthorized").inc()
    return Refusal(status.HTTP_401_UNAUTHORIZED, "unauthorized", detail, headers=_CHALLENGE)


def too_many(state: AppState, reason: str, detail: str, retry_after: float) -> HTTPException:
    state.metrics.refused.labels(reason).inc()
    seconds = str(max(1, math.ceil(retry_after)))
    return Refusal(
        status.HTTP_429_TOO_MANY_REQUESTS,
        reason,
        detail,
        retryable=True,
        headers={"Retry-After": seconds},
    )


def _presented(
    request: Request, credentials: HTTPAuthorizationCredentials | None, key: str | None
) -> list[str]:
    given = []
    if "authorization" in request.headers:
        # Another scheme (Basic, ...) is a credential that does not fit, not an absent one.
        given.append(credentials.credentials if credentials else "")
    if key is not None:
        given.append(key)
    return given


def _identify(state: AppState, request: Request, presented: list[str]) -> str:
    """Every credential presented must be a valid key, and the same one."""
    if state.keys.open:
        # Open mode: quotas apply per client address.
        host = request.client.host if request.client else "unknown"
        return f"{OPEN_CALLER}:{host}"
    if not presented:
        raise _unauthorized(state, "an API key is required: Authorization: Bearer <key>")
    callers = {state.keys.identify(given) for given in presented}
    if None in callers or len(callers) != 1:
        raise _unauthorized(state, "the API key is not valid")
    return callers.pop() or ""


async def admit_request(state: AppState, caller: str) -> str:
    """One request off the caller's rate quota, or a 429."""
    caller_var.set(caller)
    wait = await state.admission.quotas.take(caller)
    if wait > 0:
        raise too_many(state, "rate_limited", "too many requests, slow down", wait)
    return caller


async def api_caller(
    request: Request, state: StateDep, credentials: Credentials, key: ApiKey
) -> str:
    """The caller's key fingerprint (or `open:<address>`), after its rate quota."""
    return await admit_request(
        state, _identify(state, request, _presented(request, credentials, key))
    )


async def identify(state: AppState, request: Request) -> str:
    """`api_caller`'s caller for a request outside FastAPI's dependencies (the MCP endpoint), by
    the same keys; no quota is taken."""
    return _identify(
        state, request, _presented(request, await _bearer(request), await _api_key(request))
    )


async def stream_caller(
    request: Request, state: StateDep, credentials: Credentials, key: ApiKey, token: Token
) -> str:
    if state.keys.open or not token or _presented(request, credentials, key):
        return await api_caller(request, state, credentials, key)
    if request.method != "GET":
        raise _unauthorized(state, "a stream token is only accepted on GET /v1/ask")
    caller = state.keys.verify(token)
    if caller is None:
        raise _unauthorized(state, "the stream token is not valid or has expired")
    return await admit_request(state, caller)


StreamCaller = Annotated[str, Depends(stream_caller)]
