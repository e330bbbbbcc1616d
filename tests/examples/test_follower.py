"""Several instances share one store: two app instances on one database, each with its own
index, see each other's new, edited and deleted examples within seconds, by LISTEN/NOTIFY
(the fallback poll is set to an hour here, so only notifications can tell them), and after
their listening connection is cut."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest

from tests.helpers.app import ClientFactory, settings_for
from tests.helpers.demo import PAIR, prompt_for
from tests.helpers.pg import Databases, new_demo_database
from tests.helpers.standin.dashscope_server import DashScopeStandIn
from txt2sql_api.db.follower import listener_name

SECONDS = 5.0


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


async def within(seconds: float, check: Callable[[], Awaitable[bool]]) -> float:
    """How long `check` took to become true; fails past `seconds`."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not await check():
        assert loop.time() - start < seconds, f"not seen within {seconds} s"
        await asyncio.sleep(0.05)
    return loop.time() - start


def shown(client: httpx.AsyncClient, standin: DashScopeStandIn, question: str, present: bool):
    async def check() -> bool:
        prompt = await prompt_for(client, standin, question)
        shot = f"Question: {json.dumps(question, ensure_ascii=False)}\n```sql"
        return (shot in prompt) == present

    return check


async def test_an_instance_sees_another_instances_changes(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    settings = settings_for(db, examples_sync_seconds=3600)
    edited = {**PAIR, "question": "沈塘桥站一共几个出口"}
    async with make_client(settings) as one, make_client(settings) as two:
        await prompt_for(two, standin, PAIR["question"])  # two's index is loaded
        example_id = (await one.post("/v1/examples", json=PAIR)).json()["id"]
        await within(SECONDS, shown(two, standin, PAIR["question"], True))
        assert (await one.put(f"/v1/examples/{example_id}", json=edited)).status_code == 200
        await within(SECONDS, shown(two, standin, edited["question"], True))
        await within(SECONDS, shown(two, standin, PAIR["question"], False))
        assert (await one.delete(f"/v1/examples/{example_id}")).status_code == 200
        await within(SECONDS, shown(two, standin, edited["question"], False))


async def test_a_cut_listening_connection_reconnects_and_catches_up(
    db: str, standin: DashScopeStandIn, make_client: ClientFactory
) -> None:
    settings = settings_for(db, examples_sync_seconds=3600)
    async with make_client(settings) as one, make_client(settings) as two:
        await prompt_for(two, standin, PAIR["question"])
        conn = await asyncpg.connect(db)
        try:
            cut = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                listener_name("examples"),
            )
        finally:
            await conn.close()
        assert cut == 2
        # Written while nobody listens: the reconnected listener's first sync reads it.
        assert (await one.post("/v1/examples", json=PAIR)).status_code == 201
        await within(SECONDS, shown(two, standin, PAIR["question"], True))
