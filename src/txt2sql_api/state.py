"""What the lifespan opens, shared by every request: read it through `deps`."""

from __future__ import annotations

from dataclasses import dataclass

from txt2sql_api.answers import RecentAnswers
from txt2sql_api.config import Settings
from txt2sql_api.db import ServicePool
from txt2sql_api.feedback import Teacher
from txt2sql_api.keys import KeyRing
from txt2sql_api.limits import StreamSlots
from txt2sql_api.metrics import Metrics
from txt2sql_api.observe import AnswerObserver
from txt2sql_api.pipeline import Answerer
from txt2sql_api.quotas import Quotas
from txt2sql_api.retrieval import ExampleRetriever
from txt2sql_api.schema_cache import SchemaCache


@dataclass
class AppState:
    settings: Settings
    stream_slots: StreamSlots
    keys: KeyRing
    quotas: Quotas
    metrics: Metrics
    observer: AnswerObserver
    pool: ServicePool | None = None
    schema_cache: SchemaCache | None = None
    retriever: ExampleRetriever | None = None
    answerer: Answerer | None = None
    answers: RecentAnswers | None = None
    teacher: Teacher | None = None
