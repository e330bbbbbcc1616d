"""The conversation store's retention: past the age limit, or past a caller's most, the least
recently continued conversations go, with their turns."""

from __future__ import annotations

import asyncpg

from tests.helpers.pg import Databases
from txt2sql_api.conversations.store import ConversationStore, Retention, Turn


async def test_prune_keeps_the_young_and_each_callers_most_recent(databases: Databases) -> None:
    url = await databases.create()
    pool = await asyncpg.create_pool(url, min_size=0, max_size=2)
    try:
        store = ConversationStore(pool, 5, Retention(keep_seconds=3600, keep_per_owner=2))
        for name in ("a1", "a2", "a3", "b1", "old"):
            await store.add_turn(name, name[0], Turn(question=name, request_id=f"r-{name}"))
        await pool.execute(
            "UPDATE txt2sql.conversations SET updated_at = now() - interval '2 hours' "
            "WHERE id = 'old'"
        )
        await pool.execute(
            "UPDATE txt2sql.conversations SET updated_at = now() - interval '1 minute' "
            "WHERE id = 'a1'"
        )
        await store.prune()
        left = {r["id"] for r in await pool.fetch("SELECT id FROM txt2sql.conversations")}
        turns = await pool.fetchval("SELECT count(*) FROM txt2sql.turns")
    finally:
        await pool.close()
    assert left == {"a2", "a3", "b1"}
    assert turns == 3
