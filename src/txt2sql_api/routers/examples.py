from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, field_validator

from txt2sql_api.deps import RetrieverDep
from txt2sql_api.examples_store import Example
from txt2sql_api.openapi import EXAMPLE_PAIR, json_example
from txt2sql_api.sql_check import check_sql

router = APIRouter(prefix="/v1/examples", tags=["examples"])

# PostgreSQL's OFFSET is a bigint: past it, a 422 rather than a database error.
BIGINT_MAX = 2**63 - 1


class ExampleIn(BaseModel):
    question: str = Field(pattern=r"\S", examples=["沈塘桥地铁站的信息"])
    sql: str = Field(pattern=r"\S", examples=["SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'"])

    @field_validator("question", "sql")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


_REFUSED = {
    "description": "Not a valid pair: a blank field, or SQL that is not one read-only query "
    "(then `detail` lists the guard's problems, as here).",
    "content": {
        "application/json": {
            "example": {"detail": [check_sql("DELETE FROM dtzpt").problems[0].model_dump()]}
        }
    },
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={201: json_example("Stored.", EXAMPLE_PAIR), 422: _REFUSED},
)
async def add_example(body: ExampleIn, retriever: RetrieverDep) -> Example:
    """Stores a verified question→SQL pair; it is used for the next question at once."""
    check = check_sql(body.sql)
    if not check.valid:
        # The documented validation-error shape (loc, msg, type), and the guard's own names.
        raise RequestValidationError(
            [
                {"type": p.code, "loc": ("body", "sql"), "msg": p.message, **p.model_dump()}
                for p in check.problems
            ]
        )
    return await retriever.add(body.question, body.sql)


@router.get("", responses={200: json_example("The stored pairs, oldest first.", [EXAMPLE_PAIR])})
async def list_examples(
    retriever: RetrieverDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
) -> list[Example]:
    return await retriever.store.list(limit=limit, offset=offset)
