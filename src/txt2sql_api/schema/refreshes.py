"""`POST /v1/schema/refresh` for every instance: after a migration, one call makes each worker
and replica read the schema again, not only the one that answered it.

The request is a row of the meta database (when it was asked for), changed under a trigger that
notifies the instances following the `txt2sql_schema` channel (db/follower.py). Each instance
remembers the request it last saw and reloads on a newer one: a missed notification is caught at
the follower's next poll, and an instance that starts later loads a fresh schema anyway."""

from __future__ import annotations

from datetime import datetime

from txt2sql_api.db.meta_schema import SERVICE_SCHEMA, MetaTables
from txt2sql_api.db.pool import ServicePool
from txt2sql_api.schema.cache import LoadedSchema, SchemaCache

_ASK = f"""
INSERT INTO {SERVICE_SCHEMA}.schema_refreshes (id, requested_at) VALUES (true, clock_timestamp())
ON CONFLICT (id) DO UPDATE SET requested_at = excluded.requested_at
RETURNING requested_at
"""
_LAST = f"SELECT requested_at FROM {SERVICE_SCHEMA}.schema_refreshes"


class SchemaRefreshes:
    def __init__(self, meta_pool: ServicePool, cache: SchemaCache, acquire_timeout: float) -> None:
        self._tables = MetaTables(meta_pool, acquire_timeout)
        self._cache = cache
        self._seen: datetime | None = None
        self._started = False

    async def request(self) -> LoadedSchema:
        """Asks every instance to reload, then reloads this one."""
        rows = await self._tables.fetch(_ASK)
        # Seen before the notification comes back: this instance reloads once.
        self._seen = rows[0]["requested_at"]
        self._started = True
        return await self._cache.refresh()

    async def sync(self) -> None:
        """Reloads when another instance asked after the request this one last saw."""
        rows = await self._tables.fetch(_LAST)
        last = rows[0]["requested_at"] if rows else None
        if not self._started:
            # At start the schema is loaded fresh: only later requests count.
            self._seen, self._started = last, True
            return
        if last is not None and last != self._seen:
            self._seen = last
            await self._cache.refresh()
