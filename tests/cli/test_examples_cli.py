"""`txt2sql-api examples import FILE` and `examples export [FILE]`: JSONL in and out, every
imported line checked like `POST /v1/examples`, refused lines named by number, idempotent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.helpers import jsonl_cli
from tests.helpers.pg import Databases, new_demo_database
from txt2sql_api.demo.loader import demo_examples

LINES = [
    json.dumps(
        {"question": "沈塘桥站有几个出口", "sql": "SELECT ckgs FROM dtzpt"}, ensure_ascii=False
    ),
    "",
    json.dumps({"question": "删除", "sql": "DELETE FROM dtzpt"}, ensure_ascii=False),
    "not json",
    json.dumps(
        {"question": "带备注", "sql": "SELECT zdmc FROM dtzpt", "note": "n", "tags": ["t"]},
        ensure_ascii=False,
    ),
    json.dumps({"question": "没有的列", "sql": "SELECT nope FROM dtzpt"}, ensure_ascii=False),
    json.dumps({"question": " ", "sql": "SELECT 1"}),
]


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


def run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return jsonl_cli.run("examples", db, *args)


def exported(db: str) -> list[dict[str, object]]:
    return jsonl_cli.exported("examples", db)


def test_import_checks_every_line_and_names_the_refused_ones(db: str, tmp_path: Path) -> None:
    source = tmp_path / "pairs.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    first = run(db, "import", str(source))
    assert first.returncode == 1
    refused = [line for line in first.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in refused] == ["line 3", "line 4", "line 6", "line 7"]
    assert "not_read_only" in refused[0]
    assert "query_failed" in refused[2]
    assert first.stderr.splitlines()[-1] == "2 added, 0 updated, 0 unchanged, 4 refused"
    again = run(db, "import", str(source))
    assert again.stderr.splitlines()[-1] == "0 added, 0 updated, 2 unchanged, 4 refused"
    pairs = exported(db)
    assert len(pairs) == len(demo_examples()) + 2
    assert {
        "question": "带备注",
        "sql": "SELECT zdmc FROM dtzpt",
        "note": "n",
        "tags": ["t"],
        "source": "api",
    } in pairs


async def test_export_then_import_elsewhere_gives_the_same_pairs(
    db: str, tmp_path: Path, databases: Databases
) -> None:
    target = tmp_path / "all.jsonl"
    done = run(db, "export", str(target))
    assert done.returncode == 0
    assert done.stderr.strip() == f"{len(demo_examples())} examples exported"
    elsewhere = await new_demo_database(databases)
    conn = await asyncpg.connect(elsewhere)
    try:
        await conn.execute("DELETE FROM txt2sql.examples")
    finally:
        await conn.close()
    loaded = run(elsewhere, "import", str(target))
    assert loaded.returncode == 0, loaded.stderr
    assert (
        loaded.stderr.strip() == f"{len(demo_examples())} added, 0 updated, 0 unchanged, 0 refused"
    )
    assert exported(elsewhere) == [json.loads(line) for line in target.read_text().splitlines()]
