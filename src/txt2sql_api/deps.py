"""Small dependencies that read the lifespan's state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from txt2sql_api.feedback import Teacher
from txt2sql_api.pruning import SchemaBudget
from txt2sql_api.retrieval import ExampleRetriever
from txt2sql_api.schema_cache import SchemaCache
from txt2sql_api.state import AppState


# async: FastAPI runs a plain `def` dependency in its shared thread pool, a hop per request.
async def get_state(request: Request) -> AppState:
    state: AppState = request.state.state
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def _unconfigured() -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, "no database is configured: set DATABASE_URL"
    )


async def get_schema_cache(state: StateDep) -> SchemaCache:
    if state.schema_cache is None:
        raise _unconfigured()
    return state.schema_cache


async def get_retriever(state: StateDep) -> ExampleRetriever:
    if state.retriever is None:
        raise _unconfigured()
    return state.retriever


async def get_teacher(state: StateDep) -> Teacher:
    if state.teacher is None:
        raise _unconfigured()
    return state.teacher


async def get_schema_budget(state: StateDep) -> SchemaBudget:
    return SchemaBudget.of(state.settings)


SchemaCacheDep = Annotated[SchemaCache, Depends(get_schema_cache)]
RetrieverDep = Annotated[ExampleRetriever, Depends(get_retriever)]
TeacherDep = Annotated[Teacher, Depends(get_teacher)]
SchemaBudgetDep = Annotated[SchemaBudget, Depends(get_schema_budget)]
