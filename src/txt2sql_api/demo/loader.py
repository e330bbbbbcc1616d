"""Loads the bundled city-metro demo database, its verified examples and its glossary."""

from __future__ import annotations

import json
from importlib.resources import files

import asyncpg

from txt2sql_api.examples.store import seed_examples
from txt2sql_api.glossary.store import GlossaryIn, seed_glossary

_DEMO = files("txt2sql_api.demo")


def demo_sql() -> str:
    return _DEMO.joinpath("metro.sql").read_text(encoding="utf-8")


def demo_examples() -> list[tuple[str, str]]:
    return pairs_in(_DEMO.joinpath("examples.jsonl").read_text(encoding="utf-8"))


def pairs_in(text: str) -> list[tuple[str, str]]:
    """The (question, SQL) of each line of JSON Lines as `examples export` writes them."""
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [(record["question"], record["sql"]) for record in records]


def demo_glossary() -> list[GlossaryIn]:
    lines = _DEMO.joinpath("glossary.jsonl").read_text(encoding="utf-8").splitlines()
    return [GlossaryIn.model_validate_json(line) for line in lines if line.strip()]


async def load_demo(database_url: str, meta_database_url: str | None = None) -> int:
    """Replaces the demo tables in `database_url` and seeds the examples; returns their count."""
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.execute(demo_sql())
    finally:
        await conn.close()
    meta = await asyncpg.connect(meta_database_url or database_url)
    try:
        await seed_glossary(meta, demo_glossary())
        return await seed_examples(meta, demo_examples())
    finally:
        await meta.close()


async def demo_loaded(database_url: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT to_regclass('public.dtzpt') IS NOT NULL")  # type: ignore[no-any-return]
    finally:
        await conn.close()


async def ensure_demo(database_url: str, meta_database_url: str | None = None) -> int | None:
    """Loads the demo unless `database_url` already holds it: the examples count, or None."""
    if await demo_loaded(database_url):
        return None
    return await load_demo(database_url, meta_database_url)
