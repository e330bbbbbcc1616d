"""A caller's conversations: list, read and delete them. A question follows up in one by sending
its id to /v1/ask; each turn keeps its request id, so feedback works per turn."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from txt2sql_api.api.deps import BIGINT_MAX, DatabaseDep, StateDep
from txt2sql_api.api.openapi import ErrorDetail, json_example
from txt2sql_api.api.state import AppState
from txt2sql_api.conversations.store import (
    NOBODY,
    ConversationSummary,
    ConversationView,
    TurnView,
)
from txt2sql_api.observability.context import caller_var

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])

ConversationId = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]

_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
EXAMPLE_CONVERSATION = ConversationView(
    id="c_3q2Zb8kXw0YfPp1sQe7n9A",
    created_at=_AT,
    turns=[
        TurnView(
            question="杭州一共有几个地铁站",
            sql="SELECT count(DISTINCT zdmc) FROM dtzpt",
            valid=True,
            ran=True,
            row_count=1,
            request_id="3f9c2a4e8b7d4c1a",
            created_at=_AT,
        )
    ],
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorDetail, "description": "No conversation of yours has this id."}
}


def _owner(state: AppState) -> str:
    return NOBODY if state.keys.open else caller_var.get()


def _not_found(conversation_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no conversation {conversation_id}")


@router.get(
    "",
    responses={
        200: {
            **json_example(
                "Your conversations, the most recently continued first.",
                [
                    ConversationSummary(
                        id=EXAMPLE_CONVERSATION.id,
                        created_at=_AT,
                        updated_at=_AT,
                        turns=1,
                        first_question="杭州一共有几个地铁站",
                    )
                ],
            ),
            "headers": {
                "X-Total-Count": {
                    "description": "How many conversations you have, over all pages.",
                    "schema": {"type": "integer"},
                }
            },
        }
    },
)
async def list_conversations(
    database: DatabaseDep,
    state: StateDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> list[ConversationSummary]:
    summaries, total = await database.conversations.page(_owner(state), limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    return summaries


@router.get(
    "/{conversation_id}",
    responses={200: json_example("Its turns, in order.", EXAMPLE_CONVERSATION), **_NOT_FOUND},
)
async def get_conversation(
    conversation_id: ConversationId, database: DatabaseDep, state: StateDep
) -> ConversationView:
    view = await database.conversations.view(conversation_id, _owner(state))
    if view is None:
        raise _not_found(conversation_id)
    return view


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
async def delete_conversation(
    conversation_id: ConversationId, database: DatabaseDep, state: StateDep
) -> Response:
    """Deletes it and its turns; a follow-up in it is then a 404."""
    if not await database.conversations.delete(conversation_id, _owner(state)):
        raise _not_found(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
