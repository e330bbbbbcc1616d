"""Long-lived objects are frozen once loaded, so full collections do not walk them."""

from __future__ import annotations

import asyncio
import gc

from tests.helpers.app import ClientFactory, settings_for


async def test_the_schema_and_examples_are_frozen_once_loaded(
    demo_db: str, make_client: ClientFactory
) -> None:
    gc.unfreeze()
    async with make_client(settings_for(demo_db)) as client:
        for _ in range(200):  # the schema and the examples load in the background
            if gc.get_freeze_count() > 0:
                break
            await asyncio.sleep(0.05)
        first = gc.get_freeze_count()
        assert first > 0
        # A refresh brings a new snapshot, which is frozen in its turn.
        assert (await client.post("/v1/schema/refresh")).status_code == 200
        assert gc.get_freeze_count() > first
    gc.unfreeze()
