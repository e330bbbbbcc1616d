from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status

from txt2sql_api.api.deps import BIGINT_MAX, DatabaseDep, RowId
from txt2sql_api.api.errors import refused
from txt2sql_api.api.openapi import EXAMPLE_PAIR, ErrorDetail, json_example
from txt2sql_api.examples.store import Example, ExampleIn, QuestionTaken
from txt2sql_api.sql.guard import check_sql
from txt2sql_api.sql.outcome import Refused
from txt2sql_api.text import StorableText

router = APIRouter(prefix="/v1/examples", tags=["examples"])

ExampleId = RowId


_REFUSED = {
    "description": "Not a valid pair: a blank field, or SQL that is not one read-only query "
    "over the tables the service shows, or that the database refuses to plan (then `detail` "
    "lists the problems, as here).",
    "content": {
        "application/json": {
            "example": {"detail": [check_sql("DELETE FROM dtzpt").problems[0].model_dump()]}
        }
    },
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorDetail, "description": "No example has this id."}
}


def _not_found(example_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no example has id {example_id}")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        201: json_example("Stored.", EXAMPLE_PAIR),
        200: json_example("The question was stored already: its pair, updated.", EXAMPLE_PAIR),
        422: _REFUSED,
    },
)
async def add_example(body: ExampleIn, database: DatabaseDep, response: Response) -> Example:
    """Stores a verified question→SQL pair; it is used for the next question at once. A
    question that is stored already gets this SQL, note and tags (200)."""
    try:
        example, outcome = await database.teacher.teach(body.pair())
    except Refused as exc:
        raise refused(exc.problems, ("body", "sql")) from exc
    if outcome != "added":
        response.status_code = status.HTTP_200_OK
    return example


@router.get(
    "",
    responses={
        200: {
            **json_example("The stored pairs, oldest first.", [EXAMPLE_PAIR]),
            "headers": {
                "X-Total-Count": {
                    "description": "How many pairs match, over all pages.",
                    "schema": {"type": "integer"},
                }
            },
        }
    },
)
async def list_examples(
    database: DatabaseDep,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
    q: Annotated[
        StorableText | None,
        Query(
            max_length=200,
            description="Only pairs whose question, SQL or note contain this text "
            "(case aside), or that carry it as a tag.",
        ),
    ] = None,
) -> list[Example]:
    examples, total = await database.retriever.store.page(
        limit=limit, offset=offset, text=q or None
    )
    response.headers["X-Total-Count"] = str(total)
    return examples


@router.get("/{example_id}", responses={200: json_example("The pair.", EXAMPLE_PAIR), **_NOT_FOUND})
async def get_example(example_id: ExampleId, database: DatabaseDep) -> Example:
    example = await database.retriever.store.get(example_id)
    if example is None:
        raise _not_found(example_id)
    return example


@router.put(
    "/{example_id}",
    responses={
        200: json_example("Replaced.", EXAMPLE_PAIR),
        **_NOT_FOUND,
        409: {"model": ErrorDetail, "description": "Another example has this question."},
        422: _REFUSED,
    },
)
async def replace_example(example_id: ExampleId, body: ExampleIn, database: DatabaseDep) -> Example:
    """Replaces a pair's question, SQL, note and tags; the SQL is checked as for a new one."""
    try:
        example = await database.teacher.edit(example_id, body.pair())
    except Refused as exc:
        raise refused(exc.problems, ("body", "sql")) from exc
    except QuestionTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, "another example has this question") from exc
    if example is None:
        raise _not_found(example_id)
    return example


@router.delete(
    "/{example_id}",
    responses={200: json_example("Deleted; this was the pair.", EXAMPLE_PAIR), **_NOT_FOUND},
)
async def delete_example(example_id: ExampleId, database: DatabaseDep) -> Example:
    example = await database.retriever.delete(example_id)
    if example is None:
        raise _not_found(example_id)
    return example
