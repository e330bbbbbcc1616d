from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from txt2sql_api.api.deps import DatabaseDep
from txt2sql_api.api.openapi import EXAMPLE_SCHEMA, ErrorDetail, json_example
from txt2sql_api.api.state import Database
from txt2sql_api.schema.introspect import Table
from txt2sql_api.schema.pruning import QuestionValue, Selection, TableChoice

router = APIRouter(prefix="/v1/schema", tags=["schema"])


class SchemaView(BaseModel):
    loaded_at: datetime
    tables: list[Table] = Field(
        description="Every table shown to the model; with `question`, the ones its prompt gets."
    )
    selection: Selection | None = Field(
        default=None, description="With `question`: why each table was chosen, and its score."
    )


class Refreshed(BaseModel):
    loaded_at: datetime
    tables: int


_EXAMPLE_VIEW = SchemaView(
    loaded_at=EXAMPLE_SCHEMA.loaded_at,
    tables=EXAMPLE_SCHEMA.tables,
    selection=Selection(
        budget_tokens=4000,
        schema_tokens=212,
        values=[QuestionValue(value="沈塘桥", columns=["public.dtzpt.zdmc"])],
        tables=[
            TableChoice(
                table="public.dtzpt",
                score=7.4,
                reasons=["value 沈塘桥 in zdmc", "comment: 地铁站点"],
                sent=True,
            )
        ],
    ),
)
_UNAVAILABLE = {"model": ErrorDetail, "description": "No database, or it cannot be read."}


@router.get(
    "",
    responses={
        200: json_example("The tables shown to the model; with `question`, why.", _EXAMPLE_VIEW),
        503: _UNAVAILABLE,
    },
)
async def get_schema(
    database: DatabaseDep,
    question: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=2000,
            description="Show only the tables this question's prompt would get, and why.",
        ),
    ] = None,
) -> SchemaView:
    """The introspected schema the model is shown (the service's own tables never are)."""
    return await schema_view(database, question)


async def schema_view(database: Database, question: str | None) -> SchemaView:
    """The whole shown schema, or the tables `question` would get and why (the MCP tool's
    answer too)."""
    schema = await database.schema_cache.get()
    if question is None:
        return SchemaView(loaded_at=schema.snapshot.loaded_at, tables=schema.snapshot.tables)
    # The same choice as /v1/ask makes, similar examples and glossary terms included.
    pruned = (await database.answerer.context(question, explain=True)).pruned
    return SchemaView(
        loaded_at=schema.snapshot.loaded_at, tables=pruned.tables, selection=pruned.selection
    )


@router.post(
    "/refresh",
    responses={
        200: json_example(
            "The new snapshot's time and size.",
            Refreshed(loaded_at=EXAMPLE_SCHEMA.loaded_at, tables=len(EXAMPLE_SCHEMA.tables)),
        ),
        503: _UNAVAILABLE,
    },
)
async def refresh_schema(database: DatabaseDep) -> Refreshed:
    """Re-reads the schema now, here and on every other worker and instance sharing the
    database; requests keep the previous one until it is ready, and concurrent refreshes share
    one read."""
    schema = await database.schema_refreshes.request()
    return Refreshed(loaded_at=schema.snapshot.loaded_at, tables=len(schema.snapshot.tables))
