"""What the lifespan opens, shared by every request: read it through `deps`."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from txt2sql_api.config import Settings
from txt2sql_api.limits import StreamSlots
from txt2sql_api.pipeline import Answerer
from txt2sql_api.retrieval import ExampleRetriever
from txt2sql_api.schema_cache import SchemaCache


@dataclass
class AppState:
    settings: Settings
    pool: asyncpg.Pool | None
    schema_cache: SchemaCache | None
    retriever: ExampleRetriever | None
    answerer: Answerer | None
    stream_slots: StreamSlots
