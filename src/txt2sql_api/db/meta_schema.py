"""The service's own tables, in the `txt2sql` schema of the meta database: verified examples, the
tombstones of deleted ones, the glossary, conversations and their turns, the recent answers
that feedback refers to, and when the schema was last asked to be read again.

Created or migrated in place at first use: every statement is idempotent, so a database made by
an older version keeps its examples and gains what is new.

Every change to an example takes a number from `example_versions`, under a transaction-scoped
lock, so versions become visible in the order they were given: an instance that has read every
change up to version N never later sees a change numbered below N. That is what lets instances
follow each other incrementally (`changes_since`). The glossary is small: an instance reads it
whole again when its row count or highest version changes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from txt2sql_api.db.pool import Conn

# Never shown to the model, whatever TXT2SQL_SCHEMAS says.
SERVICE_SCHEMA = "txt2sql"
S = SERVICE_SCHEMA
CHANGES_CHANNEL = f"{SERVICE_SCHEMA}_examples"
GLOSSARY_CHANNEL = f"{SERVICE_SCHEMA}_glossary"
SCHEMA_CHANNEL = f"{SERVICE_SCHEMA}_schema"
TOMBSTONE_DAYS = 1

# Why the advisory lock: `CREATE ... IF NOT EXISTS` is not safe against a concurrent twin, and
# several instances may start at once against one database.
_DDL = f"""
SELECT pg_advisory_xact_lock(hashtext('{S}.ddl'));
CREATE SCHEMA IF NOT EXISTS {S};
CREATE SEQUENCE IF NOT EXISTS {S}.example_versions;
CREATE TABLE IF NOT EXISTS {S}.examples (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question text NOT NULL CHECK (btrim(question) <> ''),
    sql text NOT NULL CHECK (btrim(sql) <> ''),
    note text,
    source text NOT NULL DEFAULT 'api' CHECK (source IN ('seed', 'api', 'feedback')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS examples_question_key ON {S}.examples (question);
ALTER TABLE {S}.examples
    ADD COLUMN IF NOT EXISTS tags text[] NOT NULL DEFAULT '{{}}',
    ADD COLUMN IF NOT EXISTS version bigint NOT NULL DEFAULT nextval('{S}.example_versions'),
    ADD COLUMN IF NOT EXISTS stale text;
CREATE INDEX IF NOT EXISTS examples_version_idx ON {S}.examples (version);
CREATE TABLE IF NOT EXISTS {S}.example_tombstones (
    id bigint PRIMARY KEY,
    version bigint NOT NULL,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS example_tombstones_version_idx ON {S}.example_tombstones (version);

CREATE OR REPLACE FUNCTION {S}.example_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('{S}.example_versions'));
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {S}.example_tombstones (id, version)
        VALUES (OLD.id, nextval('{S}.example_versions'));
        DELETE FROM {S}.example_tombstones
        WHERE deleted_at < now() - interval '{TOMBSTONE_DAYS} day';
        RETURN OLD;
    END IF;
    NEW.version := nextval('{S}.example_versions');
    IF TG_OP = 'UPDATE' THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END $$;
-- Wakes the instances that follow a store: the channel is the trigger's argument.
CREATE OR REPLACE FUNCTION {S}.notify_followers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER examples_versioned BEFORE INSERT OR UPDATE OR DELETE
    ON {S}.examples FOR EACH ROW EXECUTE FUNCTION {S}.example_versioned();
CREATE OR REPLACE TRIGGER examples_changed AFTER INSERT OR UPDATE OR DELETE
    ON {S}.examples FOR EACH STATEMENT
    EXECUTE FUNCTION {S}.notify_followers('{CHANGES_CHANNEL}');
DROP FUNCTION IF EXISTS {S}.example_changed();

CREATE SEQUENCE IF NOT EXISTS {S}.glossary_versions;
CREATE TABLE IF NOT EXISTS {S}.glossary (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    term text NOT NULL CHECK (btrim(term) <> ''),
    term_key text NOT NULL UNIQUE,
    synonyms text[] NOT NULL DEFAULT '{{}}',
    meaning text NOT NULL CHECK (btrim(meaning) <> ''),
    sql text,
    tables text[] NOT NULL DEFAULT '{{}}',
    version bigint NOT NULL DEFAULT nextval('{S}.glossary_versions'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION {S}.glossary_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('{S}.glossary_versions');
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER glossary_versioned BEFORE UPDATE
    ON {S}.glossary FOR EACH ROW EXECUTE FUNCTION {S}.glossary_versioned();
CREATE OR REPLACE TRIGGER glossary_changed AFTER INSERT OR UPDATE OR DELETE
    ON {S}.glossary FOR EACH STATEMENT
    EXECUTE FUNCTION {S}.notify_followers('{GLOSSARY_CHANNEL}');

CREATE TABLE IF NOT EXISTS {S}.conversations (
    id text PRIMARY KEY,
    owner text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conversations_owner_idx ON {S}.conversations (owner, updated_at);
CREATE TABLE IF NOT EXISTS {S}.turns (
    conversation_id text NOT NULL REFERENCES {S}.conversations (id) ON DELETE CASCADE,
    number int NOT NULL,
    request_id text NOT NULL,
    question text NOT NULL,
    sql text,
    valid boolean NOT NULL,
    ran boolean NOT NULL,
    columns jsonb NOT NULL DEFAULT '[]',
    row_count int,
    preview jsonb NOT NULL DEFAULT '[]',
    clarify text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, number)
);

CREATE TABLE IF NOT EXISTS {S}.answers (
    request_id text PRIMARY KEY,
    question text NOT NULL,
    sql text,
    created_at timestamptz NOT NULL DEFAULT now(),
    verdict text CHECK (verdict IN ('up', 'down')),
    corrected_sql text,
    example_id bigint,
    feedback_at timestamptz
);
CREATE INDEX IF NOT EXISTS answers_created_at_idx ON {S}.answers (created_at);

-- One row: when an instance was last asked to read the schema again, for all of them.
CREATE TABLE IF NOT EXISTS {S}.schema_refreshes (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    requested_at timestamptz NOT NULL
);
CREATE OR REPLACE TRIGGER schema_refresh_requested AFTER INSERT OR UPDATE
    ON {S}.schema_refreshes FOR EACH STATEMENT
    EXECUTE FUNCTION {S}.notify_followers('{SCHEMA_CHANNEL}');
"""


async def ensure_schema(conn: Conn) -> None:
    async with conn.transaction():
        await conn.execute(_DDL)


class MetaTables:
    """Connections to the meta database whose first use creates or migrates the service's
    tables: every store reads and writes through one."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self._pool = pool
        self.acquire_timeout = acquire_timeout
        self._ready = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        async with self._pool.acquire(timeout=self.acquire_timeout) as conn:
            if not self._ready:
                await ensure_schema(conn)
                self._ready = True
            yield conn

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        async with self.connection() as conn:
            return await conn.fetch(query, *args)


def visible_schemas(configured: Sequence[str]) -> list[str]:
    """The service's own schema is never shown to the model, whatever is configured."""
    return [s for s in configured if s != SERVICE_SCHEMA]
