"""Conversations and their turns, kept in the `txt2sql` schema of the meta database, so any
instance serves any follow-up. Each belongs to the caller that started it (an API key's
fingerprint; nobody in particular in open mode). Old conversations, and a caller's beyond the
most it may keep, are pruned in the background."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field

from txt2sql_api.db.meta_schema import MetaTables, S

# Open mode: every caller may continue every conversation.
NOBODY = ""


def new_conversation_id() -> str:
    # Unguessable: in open mode the id is what lets one continue a conversation.
    return "c_" + secrets.token_urlsafe(16)


class TurnView(BaseModel):
    question: str
    sql: str | None = None
    valid: bool = Field(description="The final SQL passed the guard and EXPLAIN.")
    ran: bool = Field(default=False, description="Its rows were read.")
    row_count: int | None = None
    clarify: str | None = Field(default=None, description="The model's question back, if any.")
    request_id: str
    created_at: datetime


class ConversationSummary(BaseModel):
    id: str
    created_at: datetime
    updated_at: datetime
    turns: int
    first_question: str


class ConversationView(BaseModel):
    id: str
    created_at: datetime
    turns: list[TurnView]


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and how its answer ended, as the prompt of the next one
    tells it."""

    question: str
    request_id: str
    sql: str | None = None
    valid: bool = False
    ran: bool = False
    columns: tuple[str, ...] = ()
    row_count: int | None = None
    preview: tuple[tuple[Any, ...], ...] = ()
    clarify: str | None = None


@dataclass(frozen=True)
class Retention:
    keep_seconds: float
    keep_per_owner: int


def _turn(row: asyncpg.Record) -> Turn:
    return Turn(
        question=row["question"],
        request_id=row["request_id"],
        sql=row["sql"],
        valid=row["valid"],
        ran=row["ran"],
        columns=tuple(json.loads(row["columns"])),
        row_count=row["row_count"],
        preview=tuple(tuple(r) for r in json.loads(row["preview"])),
        clarify=row["clarify"],
    )


class ConversationStore:
    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float, retention: Retention) -> None:
        self.retention = retention
        self._fetch = MetaTables(pool, acquire_timeout).fetch

    async def exists(self, conversation_id: str, owner: str) -> bool:
        """Whether the conversation is there, young enough, and the caller's to continue."""
        rows = await self._fetch(
            f"SELECT 1 FROM {S}.conversations WHERE id = $1 AND ($2 = '' OR owner = $2) "
            "AND updated_at >= now() - make_interval(secs => $3)",
            conversation_id,
            owner,
            self.retention.keep_seconds,
        )
        return bool(rows)

    async def recent_turns(self, conversation_id: str, limit: int) -> list[Turn]:
        """The last `limit` turns, oldest first."""
        rows = await self._fetch(
            f"""
            SELECT * FROM (
                SELECT * FROM {S}.turns WHERE conversation_id = $1 ORDER BY number DESC LIMIT $2
            ) t ORDER BY number
            """,
            conversation_id,
            limit,
        )
        return [_turn(r) for r in rows]

    async def add_turn(self, conversation_id: str, owner: str, turn: Turn) -> None:
        """Appends the turn, starting the conversation with its first one."""
        await self._fetch(
            f"""
            WITH c AS (
                INSERT INTO {S}.conversations AS c (id, owner) VALUES ($1, $2)
                ON CONFLICT (id) DO UPDATE SET updated_at = now()
                RETURNING id
            )
            INSERT INTO {S}.turns (conversation_id, number, request_id, question, sql, valid,
                                   ran, columns, row_count, preview, clarify)
            SELECT c.id,
                   coalesce((SELECT max(number) FROM {S}.turns WHERE conversation_id = $1), 0) + 1,
                   $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11
            FROM c
            """,
            conversation_id,
            owner,
            turn.request_id,
            turn.question,
            turn.sql,
            turn.valid,
            turn.ran,
            json.dumps(list(turn.columns), ensure_ascii=False),
            turn.row_count,
            json.dumps([list(r) for r in turn.preview], ensure_ascii=False, default=str),
            turn.clarify,
        )

    async def page(
        self, owner: str, *, limit: int, offset: int
    ) -> tuple[list[ConversationSummary], int]:
        """The caller's conversations, the most recently continued first."""
        rows = await self._fetch(
            f"""
            SELECT c.id, c.created_at, c.updated_at, count(*) OVER () AS total,
                   (SELECT count(*) FROM {S}.turns t WHERE t.conversation_id = c.id) AS turns,
                   (SELECT question FROM {S}.turns t WHERE t.conversation_id = c.id
                    ORDER BY number LIMIT 1) AS first_question
            FROM {S}.conversations c
            WHERE ($1 = '' OR c.owner = $1) AND c.updated_at >= now() - make_interval(secs => $4)
            ORDER BY c.updated_at DESC, c.id LIMIT $2 OFFSET $3
            """,
            owner,
            limit,
            offset,
            self.retention.keep_seconds,
        )
        total = int(rows[0]["total"]) if rows else 0
        if not rows and offset:
            _, total = await self.page(owner, limit=1, offset=0)
        summaries = [
            ConversationSummary(**{k: v for k, v in r.items() if k != "total"}) for r in rows
        ]
        return summaries, total

    async def view(self, conversation_id: str, owner: str) -> ConversationView | None:
        if not await self.exists(conversation_id, owner):
            return None
        rows = await self._fetch(
            f"""
            SELECT c.created_at AS started, t.question, t.sql, t.valid, t.ran, t.row_count,
                   t.clarify, t.request_id, t.created_at
            FROM {S}.conversations c JOIN {S}.turns t ON t.conversation_id = c.id
            WHERE c.id = $1 ORDER BY t.number
            """,
            conversation_id,
        )
        if not rows:
            return None
        turns = [TurnView(**{k: v for k, v in r.items() if k != "started"}) for r in rows]
        return ConversationView(id=conversation_id, created_at=rows[0]["started"], turns=turns)

    async def delete(self, conversation_id: str, owner: str) -> bool:
        rows = await self._fetch(
            f"DELETE FROM {S}.conversations WHERE id = $1 AND ($2 = '' OR owner = $2) RETURNING id",
            conversation_id,
            owner,
        )
        return bool(rows)

    async def prune(self) -> None:
        """Drops the conversations past the age limit, and each caller's beyond the most it
        may keep (its least recently continued first)."""
        await self._fetch(
            f"""
            DELETE FROM {S}.conversations c
            WHERE c.updated_at < now() - make_interval(secs => $1)
               OR c.id IN (
                   SELECT id FROM (
                       SELECT id, row_number() OVER (
                           PARTITION BY owner ORDER BY updated_at DESC) AS n
                       FROM {S}.conversations
                   ) ranked WHERE n > $2
               )
            """,
            self.retention.keep_seconds,
            self.retention.keep_per_owner,
        )
