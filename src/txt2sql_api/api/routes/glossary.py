"""The glossary users edit: business terms, their synonyms, what they mean, and the SQL
expression and tables that express them. Terms a question uses steer which tables the model is
shown and go into its prompt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status

from txt2sql_api.api.deps import DatabaseDep, RowId
from txt2sql_api.api.errors import refused
from txt2sql_api.api.openapi import EXAMPLE_SCHEMA, ErrorDetail, json_example
from txt2sql_api.glossary.index import probe_sql
from txt2sql_api.glossary.store import GlossaryIn, GlossaryTerm, TermTaken
from txt2sql_api.sql.guard import check_sql
from txt2sql_api.sql.outcome import Refused

router = APIRouter(prefix="/v1/glossary", tags=["glossary"])

TermId = RowId

_AT = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
EXAMPLE_TERM = GlossaryTerm(
    id=1,
    term="换乘站",
    synonyms=["换乘车站"],
    meaning="两条及以上线路经过的车站",
    sql="zdmc IN (SELECT zdmc FROM dtzpt GROUP BY zdmc HAVING count(DISTINCT xlmc) > 1)",
    tables=["dtzpt"],
    created_at=_AT,
    updated_at=_AT,
)
_REFUSED = {
    "description": "Not a valid term: a blank field, or a SQL expression that does not parse, "
    "is not read-only, or names tables or columns the service does not show (then `detail` "
    "lists the problems, as here).",
    "content": {
        "application/json": {
            "example": {
                "detail": [
                    check_sql(
                        probe_sql(GlossaryIn(term="换乘站", meaning="m", tables=["hcz"])),
                        EXAMPLE_SCHEMA.names(),
                    )
                    .problems[0]
                    .model_dump()
                ]
            }
        }
    },
}
_TAKEN = {"model": ErrorDetail, "description": "Another entry has this term."}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorDetail, "description": "No term has this id."}
}


def _not_found(term_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no glossary term has id {term_id}")


def _taken(term: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, f"the glossary has the term {term!r} already")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={201: json_example("Stored.", EXAMPLE_TERM), 409: _TAKEN, 422: _REFUSED},
)
async def add_term(body: GlossaryIn, database: DatabaseDep) -> GlossaryTerm:
    """Stores a term; the next question that uses it gets it. Its SQL expression and tables are
    checked against the schema the service shows, as the model's SQL is."""
    try:
        return await database.glossary.add(body)
    except Refused as exc:
        raise refused(exc.problems, ("body", "sql")) from exc
    except TermTaken as exc:
        raise _taken(body.term) from exc


@router.get(
    "",
    responses={
        200: {
            **json_example("Every term, oldest first.", [EXAMPLE_TERM]),
            "headers": {
                "X-Total-Count": {
                    "description": "How many terms there are.",
                    "schema": {"type": "integer"},
                }
            },
        }
    },
)
async def list_terms(database: DatabaseDep, response: Response) -> list[GlossaryTerm]:
    terms = await database.glossary.all()
    response.headers["X-Total-Count"] = str(len(terms))
    return terms


@router.get("/{term_id}", responses={200: json_example("The term.", EXAMPLE_TERM), **_NOT_FOUND})
async def get_term(term_id: TermId, database: DatabaseDep) -> GlossaryTerm:
    term = await database.glossary.get(term_id)
    if term is None:
        raise _not_found(term_id)
    return term


@router.put(
    "/{term_id}",
    responses={
        200: json_example("Replaced.", EXAMPLE_TERM),
        **_NOT_FOUND,
        409: _TAKEN,
        422: _REFUSED,
    },
)
async def replace_term(term_id: TermId, body: GlossaryIn, database: DatabaseDep) -> GlossaryTerm:
    """Replaces a term, checked as a new one is."""
    try:
        term = await database.glossary.update(term_id, body)
    except Refused as exc:
        raise refused(exc.problems, ("body", "sql")) from exc
    except TermTaken as exc:
        raise _taken(body.term) from exc
    if term is None:
        raise _not_found(term_id)
    return term


@router.delete(
    "/{term_id}",
    responses={200: json_example("Deleted; this was the term.", EXAMPLE_TERM), **_NOT_FOUND},
)
async def delete_term(term_id: TermId, database: DatabaseDep) -> GlossaryTerm:
    term = await database.glossary.delete(term_id)
    if term is None:
        raise _not_found(term_id)
    return term
