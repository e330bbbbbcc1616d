"""All settings, read once from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from txt2sql_api.urls import postgres_url_problem


class Settings(BaseSettings):
    """Service settings.

    Secrets have no defaults: a missing `DASHSCOPE_API_KEY` (or `OPENAI_API_KEY`) is reported
    as an `error` event on `/v1/ask`, where it is needed, and the rest of the service keeps
    working.
    """

    model_config = SettingsConfigDict(
        env_prefix="TXT2SQL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
        description="PostgreSQL to answer questions about (postgresql://user:password@host:5432/"
        "name). Unset: every command uses an embedded one, with the demo database.",
    )
    meta_database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TXT2SQL_META_DATABASE_URL", "meta_database_url"),
        description="PostgreSQL holding the service's own `txt2sql` schema (examples). "
        "Defaults to DATABASE_URL.",
    )
    dashscope_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DASHSCOPE_API_KEY", "dashscope_api_key"),
        description="DashScope API key for Qwen.",
    )
    dashscope_http_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DASHSCOPE_HTTP_BASE_URL", "dashscope_http_base_url"),
        description="Where model calls go: DashScope's HTTP API, a proxy, or `txt2sql-api "
        "standin`. Unset: the SDK's default, https://dashscope.aliyuncs.com/api/v1.",
    )
    provider: Literal["dashscope", "openai"] = Field(
        default="dashscope",
        description="Who serves the model: `dashscope` (DashScope's own API and SDK) or `openai` "
        "(any OpenAI-compatible server: vLLM, SGLang, Ollama, DashScope's compatible mode, "
        "DeepSeek, a gateway; docs/configuration.md has working settings for each).",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url"),
        description="With TXT2SQL_PROVIDER=openai, the server's OpenAI API, its path up to /v1 "
        "(http://localhost:11434/v1 for Ollama). Unset: the SDK's default, "
        "https://api.openai.com/v1.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"),
        description="With TXT2SQL_PROVIDER=openai, the server's API key (any value for a server "
        "that checks none, such as Ollama).",
    )
    openai_thinking_style: Literal["none", "dashscope", "vllm"] = Field(
        default="none",
        description="How TXT2SQL_ENABLE_THINKING and TXT2SQL_THINKING_BUDGET reach an "
        "OpenAI-compatible server: `dashscope` (its compatible mode: enable_thinking, "
        "thinking_budget), `vllm` (vLLM, SGLang: chat_template_kwargs.enable_thinking, no "
        "budget) or `none` (not sent).",
    )
    model: str = Field(
        default="qwen-plus",
        description="The model, as DashScope or the OpenAI-compatible server names it.",
    )
    schemas: list[str] = Field(
        default=["public"], description="Database schemas shown to the model (JSON list)."
    )
    tables_include: list[str] = Field(
        default=["*"],
        description="Table globs shown to the model (JSON list; `name` or `schema.name`).",
    )
    tables_exclude: list[str] = Field(
        default=[], description="Table globs never shown to the model (JSON list)."
    )
    schema_ttl_seconds: float = Field(
        default=600.0, gt=0, description="Age after which the schema is re-read in the background."
    )
    sample_max_distinct: int = Field(
        default=200,
        ge=1,
        description="Text columns with at most this many distinct values have them read.",
    )
    sample_rows: int = Field(
        default=10_000, ge=1, description="Rows read per table when looking for sample values."
    )
    sample_statement_timeout_seconds: float = Field(
        default=1.0, gt=0, description="Longest read of one table's sample values."
    )
    sample_total_seconds: float = Field(
        default=10.0, gt=0, description="Longest time spent reading sample values per load."
    )
    schema_token_budget: int = Field(
        default=4000, ge=1, description="Most Qwen tokens of schema put into one prompt."
    )
    schema_max_tables: int = Field(
        default=10, ge=1, description="Most tables chosen for a question (before join tables)."
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Time zone of the question's relative dates (今天, 上个月, last week).",
    )
    max_question_chars: int = Field(default=2000, ge=1, description="Longest accepted question.")
    few_shot_k: int = Field(default=5, ge=0, description="Examples put into the prompt.")
    reuse_examples: bool = Field(
        default=True,
        description="Answer a question that matches a verified example with its SQL, without a "
        "model call (the SQL is checked against today's schema first).",
    )
    reuse_min_score: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="How alike a question and a verified example's must be to reuse it: 1 is the "
        "same question with case, width, spaces and punctuation aside; lower allows that "
        "similarity ratio (beware questions that differ in one value).",
    )
    examples_sync_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest delay before an instance sees another's change to the examples "
        "when a change notification is lost.",
    )
    answers_keep_seconds: float = Field(
        default=604_800.0,
        gt=0,
        description="How long an answer's question and SQL are kept for feedback (7 days).",
    )
    answers_keep_max: int = Field(
        default=100_000, ge=1, description="Most recent answers kept for feedback."
    )
    conversation_turns: int = Field(
        default=5,
        ge=0,
        description="Earlier turns of a conversation a follow-up's prompt carries (0: none).",
    )
    conversation_token_budget: int = Field(
        default=1500,
        ge=0,
        description="Most Qwen tokens of the earlier turns in a prompt; the oldest go first.",
    )
    conversations_keep_seconds: float = Field(
        default=2_592_000.0,
        gt=0,
        description="How long a conversation is kept after its last turn (30 days).",
    )
    conversations_keep_max: int = Field(
        default=500, ge=1, description="Most conversations kept per API key (or in open mode)."
    )
    max_streams: int = Field(
        default=200,
        ge=1,
        description="Live /v1/ask streams of the host (all its workers); past it a 503 with "
        "Retry-After.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        description="Worker processes of `txt2sql-api serve` on one port: one per core.",
    )
    workers_state_dir: Path | None = Field(
        default=None,
        description="Set by `serve` for its workers: where they share metrics and (without "
        "Redis) quota counters. Made fresh at each start; not set by hand.",
    )
    ping_seconds: float = Field(default=15.0, gt=0, description="SSE heartbeat interval.")
    send_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for a slow client to take one event."
    )
    first_token_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest wait for the model's first token."
    )
    enable_thinking: bool | None = Field(
        default=None,
        description="Whether a hybrid model (Qwen3, qwen-plus) thinks before it answers, sent as "
        "enable_thinking. Unset: not sent, the model's own default.",
    )
    thinking_budget: int | None = Field(
        default=None,
        ge=1,
        description="Most tokens a model that thinks may reason for, sent as thinking_budget. "
        "Unset: not sent, the model's own limit.",
    )
    thinking_first_token_timeout_seconds: float = Field(
        default=120.0,
        gt=0,
        description="Longest wait for the first token of a model that thinks "
        "(TXT2SQL_ENABLE_THINKING=true, or a QwQ, QVQ, DeepSeek-R1 or *-thinking model).",
    )
    upstream_retries: int = Field(
        default=2,
        ge=0,
        description="Retries of a throttled, failed or unreachable model call, before any token.",
    )
    upstream_retry_base_seconds: float = Field(
        default=0.25, ge=0, description="First retry's backoff; doubles each time, with jitter."
    )
    upstream_retry_within_seconds: float = Field(
        default=10.0,
        ge=0,
        description="A retry starts only this soon after the first try; later, the failure is "
        "the answer.",
    )
    idle_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest silence between two model tokens."
    )
    total_timeout_seconds: float = Field(
        default=180.0, gt=0, description="Longest model call, from its start to its last token."
    )
    upstream_thread_idle_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a model call's finished thread waits for the next call, then exits.",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        description=(
            "On SIGTERM, how long answers in flight get to say shutting_down and end; then"
            " every connection still open is cut off."
        ),
    )
    execute: bool = Field(
        default=True,
        description="Whether /v1/ask may run the SQL when a request asks (execute: true).",
    )
    charts: bool = Field(
        default=True,
        description="Whether an executed answer gets a `chart` event: how to draw its rows, "
        "chosen by fixed rules from the columns' types, the row count and the names.",
    )
    statement_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="One deadline for a generated query, from the start of its EXPLAIN to its "
        "last row; the service cancels it then, whatever the database does.",
    )
    http_max_header_bytes: int = Field(
        default=65_536, ge=1024, description="Largest request line and headers accepted (431)."
    )
    http_header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Longest a client may take to send its headers (408)."
    )
    http_body_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest a client may pause while sending its request body (408).",
    )
    http_max_pending_requests: int = Field(
        default=2000,
        ge=1,
        description="Most connections still sending their request at once; more are refused.",
    )
    max_sql_chars: int = Field(
        default=20_000,
        ge=1,
        description="Longest SQL checked, from the model or a stored example; longer is refused.",
    )
    allowed_functions: list[str] = Field(
        default=[],
        description="Functions generated SQL may call beyond the built-in allow-list, each "
        'schema-qualified (JSON list, e.g. ["public.fiscal_quarter"]).',
    )
    max_rows: int = Field(default=500, ge=1, description="Most result rows sent per answer.")
    max_result_bytes: int = Field(
        default=1_000_000, ge=1, description="Most result bytes (as JSON) sent per answer."
    )
    rows_batch: int = Field(default=100, ge=1, description="Result rows per `rows` event.")
    repair_rounds: int = Field(
        default=1, ge=0, description="Times the model may fix SQL the database refused."
    )
    db_pool_max: int = Field(default=10, ge=1, description="Most database connections per pool.")
    db_acquire_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for a pooled connection (generated SQL: with none given back).",
    )
    db_command_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Longest database command the service itself runs."
    )
    data_dir: Path | None = Field(
        default=None,
        description="Where the embedded PostgreSQL keeps its data. Defaults to the user cache dir.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_format: Literal["auto", "text", "json"] = Field(
        default="auto",
        description="Log lines as text for people or one JSON object each; auto: text on a "
        "terminal, JSON otherwise.",
    )
    log_questions: bool = Field(
        default=False,
        description="Whether the log carries the question's text (always its length).",
    )
    api_keys: SecretStr | None = Field(
        default=None,
        description="API keys that may call /v1, comma-separated. Unset (and no file): open.",
    )
    api_keys_file: Path | None = Field(
        default=None, description="A file of API keys, one a line (# comments), added to those."
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="The key `txt2sql-api ask` sends to a service that wants one (the service "
        "itself reads TXT2SQL_API_KEYS).",
    )
    stream_token_seconds: int = Field(
        default=60, ge=1, description="Lifetime of a ?token= from POST /v1/tokens (EventSource)."
    )
    rate_limit_per_minute: float = Field(
        default=120.0, gt=0, description="Requests per minute to /v1 per API key (token bucket)."
    )
    rate_limit_burst: int = Field(
        default=30, ge=1, description="Requests per API key that may come at once."
    )
    max_streams_per_key: int = Field(
        default=10, ge=1, description="Live /v1/ask streams per API key; past it a 429."
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Redis shared by all instances for rate limits and stream caps. "
        "Unset: per process.",
    )
    redis_prefix: str = Field(default="txt2sql:", description="Prefix of the service's Redis keys.")
    cors_origins: list[str] = Field(
        default=[], description="Browser origins allowed to call the API (JSON list; [] = none)."
    )
    max_body_bytes: int = Field(
        default=65536, ge=1, description="Largest request body; past it a 413."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (an IANA name: Asia/Shanghai)") from exc
        return value

    @field_validator("database_url", "meta_database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is not None and (problem := postgres_url_problem(value)):
            raise ValueError(
                f"not a PostgreSQL URL: {problem}. Expected postgresql://user:password@host:5432/"
                "database, with @ : / ? # in the user or password percent-encoded "
                "(%40 %3A %2F %3F %23)"
            )
        return value

    @field_validator("dashscope_http_base_url", "openai_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(
                "not an http:// or https:// URL, such as https://dashscope.aliyuncs.com/api/v1"
            )
        return value

    @property
    def examples_database_url(self) -> str | None:
        return self.meta_database_url or self.database_url


def env_name(field: str) -> str:
    """The environment variable (and `.env` line) that sets a field."""
    choices = getattr(Settings.model_fields[field].validation_alias, "choices", None)
    return str(choices[0]) if choices else f"TXT2SQL_{field.upper()}"


def read_keys(settings: Settings) -> list[str]:
    """The configured keys: the comma-separated setting, then the file's lines (# comments).

    A file that is set but holds no key is an error, never a silent fall back to running open.
    """
    given = settings.api_keys.get_secret_value() if settings.api_keys else ""
    keys = [key.strip() for key in given.split(",") if key.strip()]
    if settings.api_keys_file is not None:
        from_file = _keys_in_file(settings.api_keys_file)
        if not from_file:
            raise ValueError(f"TXT2SQL_API_KEYS_FILE {settings.api_keys_file} holds no key")
        keys += from_file
    return keys


def _keys_in_file(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
