"""What the stream tells of a SQL text's checks and its result: plain models, light to import
(the clients decode them without the guard's parser or the database driver)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SqlProblem(BaseModel):
    """Why a SQL text is not run: a stable `code` and a message for people (and the model)."""

    code: str
    message: str


class Refused(Exception):
    """SQL (or a SQL expression) that cannot be stored; `problems` says why."""

    def __init__(self, problems: list[SqlProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


class ResultColumn(BaseModel):
    name: str
    type: str = Field(description="PostgreSQL type name, e.g. int4, numeric, timestamptz, _text.")
    scale: int | None = Field(
        default=None,
        description="`numeric`: the most digits after the point among the first batch's values "
        "(2 for a numeric(10,2)), so that 199.5 can be shown as 199.50.",
    )
