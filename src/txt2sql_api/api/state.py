"""What the lifespan opens, shared by every request: read it through `deps`."""

from __future__ import annotations

from dataclasses import dataclass

from txt2sql_api.answer.observer import AnswerObserver
from txt2sql_api.answer.pipeline import Answerer
from txt2sql_api.api.admission import Admission
from txt2sql_api.api.security.keys import KeyRing
from txt2sql_api.config import Settings
from txt2sql_api.conversations.store import ConversationStore
from txt2sql_api.db.pool import ServicePool
from txt2sql_api.examples.answer_log import RecentAnswers
from txt2sql_api.examples.retriever import ExampleRetriever
from txt2sql_api.examples.teacher import Teacher
from txt2sql_api.glossary.index import Glossary
from txt2sql_api.observability.metrics import Metrics
from txt2sql_api.schema.cache import SchemaCache
from txt2sql_api.schema.pruning import SchemaBudget
from txt2sql_api.schema.refreshes import SchemaRefreshes
from txt2sql_api.shutdown import Drain


@dataclass(frozen=True)
class Database:
    """Everything that needs the database the questions are about; none of it exists until
    DATABASE_URL is set (`AppState.database` is None then)."""

    pool: ServicePool
    schema_cache: SchemaCache
    schema_refreshes: SchemaRefreshes
    retriever: ExampleRetriever
    answerer: Answerer
    answers: RecentAnswers
    teacher: Teacher
    glossary: Glossary
    conversations: ConversationStore


@dataclass(frozen=True)
class AppState:
    settings: Settings
    admission: Admission
    keys: KeyRing
    metrics: Metrics
    observer: AnswerObserver
    schema_budget: SchemaBudget
    # The answers in flight, which a shutdown tells to end.
    drain: Drain
    database: Database | None = None
