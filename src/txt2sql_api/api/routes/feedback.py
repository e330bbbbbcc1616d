from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from txt2sql_api.api.deps import DatabaseDep
from txt2sql_api.api.errors import refused
from txt2sql_api.api.middleware import REQUEST_ID_PATTERN
from txt2sql_api.api.openapi import EXAMPLE_PAIR, ErrorDetail, json_example
from txt2sql_api.examples.answer_log import Verdict
from txt2sql_api.examples.store import Example
from txt2sql_api.examples.teacher import UnknownAnswer
from txt2sql_api.sql.outcome import Refused
from txt2sql_api.text import StorableText

router = APIRouter(prefix="/v1/feedback", tags=["examples"])


class FeedbackIn(BaseModel):
    request_id: str = Field(
        pattern=REQUEST_ID_PATTERN,
        description="The answer's id: its `done` event's `request_id` (and `X-Request-ID`).",
        examples=["5f0e8c1d2b3a49f6a7e8d9c0b1a2f3e4"],
    )
    verdict: Verdict = Field(description="`up`: the answer's SQL is right; `down`: it is not.")
    corrected_sql: StorableText | None = Field(
        default=None,
        pattern=r"\S",
        description="With `down`: the right SQL; the question and it become an example.",
        examples=["SELECT * FROM dtzpt WHERE zdmc = '沈塘桥'"],
    )


class FeedbackOut(BaseModel):
    request_id: str
    verdict: Verdict
    example: Example | None = Field(
        description="The example the feedback made (or found), or null for a bare `down`."
    )


_EXAMPLE = FeedbackOut(
    request_id="5f0e8c1d2b3a49f6a7e8d9c0b1a2f3e4",
    verdict="up",
    example=EXAMPLE_PAIR.model_copy(update={"source": "feedback"}),
)


@router.post(
    "",
    responses={
        200: json_example("Recorded; the example it made, if any.", _EXAMPLE),
        404: {"model": ErrorDetail, "description": "No recent answer has this request id."},
        422: {
            "description": "`up` on an answer without SQL, or `corrected_sql` that is not one "
            "read-only query the database accepts (`detail` lists the problems)."
        },
    },
)
async def give_feedback(body: FeedbackIn, database: DatabaseDep) -> FeedbackOut:
    """Says whether an answer was right. `up` stores its question and SQL as an example;
    `down` with `corrected_sql` stores the question with that SQL; a bare `down` is only
    recorded. Sending the same feedback again changes nothing."""
    sql = body.corrected_sql.strip() if body.corrected_sql else None
    try:
        example = await database.teacher.feedback(body.request_id, body.verdict, sql)
    except UnknownAnswer as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "no recent answer has this request_id (or it expired)"
        ) from exc
    except Refused as exc:
        location = ("body", "corrected_sql") if sql else ("body", "request_id")
        raise refused(exc.problems, location) from exc
    return FeedbackOut(request_id=body.request_id, verdict=body.verdict, example=example)
