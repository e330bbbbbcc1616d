"""`txt2sql-api glossary import FILE` and `glossary export [FILE]`: JSONL in and out, every
imported line checked like `POST /v1/glossary`, refused lines named by number, idempotent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.helpers import jsonl_cli
from tests.helpers.pg import Databases, new_demo_database
from txt2sql_api.demo.loader import demo_glossary

NEW = {
    "term": "老站",
    "meaning": "2015 年以前开通的站点",
    "sql": "dtzpt.kyrq < DATE '2015-01-01'",
    "tables": ["dtzpt"],
}
BIG = {
    "term": "大站",
    "meaning": "出口个数在 8 个及以上的站点",
    "sql": "ckgs >= 8",
    "tables": ["dtzpt"],
}
LINES = [
    json.dumps(NEW, ensure_ascii=False),
    "",
    json.dumps({"term": "坏的", "meaning": "m", "sql": "1; DELETE FROM dtzpt"}, ensure_ascii=False),
    "not json",
    json.dumps({"term": " ", "meaning": "m"}),
    json.dumps({"term": "没有的表", "meaning": "m", "tables": ["nope"]}, ensure_ascii=False),
    # A demo term, changed: updated in place.
    json.dumps(BIG, ensure_ascii=False),
]


@pytest.fixture
async def db(databases: Databases) -> str:
    return await new_demo_database(databases)


def run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return jsonl_cli.run("glossary", db, *args)


def exported(db: str) -> list[dict[str, object]]:
    return jsonl_cli.exported("glossary", db)


def test_import_checks_every_line_and_names_the_refused_ones(db: str, tmp_path: Path) -> None:
    source = tmp_path / "terms.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    first = run(db, "import", str(source))
    assert first.returncode == 1
    refused = [line for line in first.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in refused] == ["line 3", "line 4", "line 5", "line 6"]
    assert "parse_error" in refused[0]
    assert "unknown_table" in refused[3]
    assert first.stderr.splitlines()[-1] == "1 added, 1 updated, 0 unchanged, 4 refused"
    again = run(db, "import", str(source))
    assert again.stderr.splitlines()[-1] == "0 added, 0 updated, 2 unchanged, 4 refused"
    terms = exported(db)
    assert len(terms) == len(demo_glossary()) + 1
    assert NEW in terms
    assert BIG in terms


async def test_export_then_import_elsewhere_gives_the_same_terms(
    db: str, tmp_path: Path, databases: Databases
) -> None:
    target = tmp_path / "all.jsonl"
    done = run(db, "export", str(target))
    assert done.returncode == 0
    assert done.stderr.strip() == f"{len(demo_glossary())} terms exported"
    elsewhere = await new_demo_database(databases)
    conn = await asyncpg.connect(elsewhere)
    try:
        await conn.execute("DELETE FROM txt2sql.glossary")
    finally:
        await conn.close()
    loaded = run(elsewhere, "import", str(target))
    assert loaded.returncode == 0, loaded.stderr
    assert exported(elsewhere) == [json.loads(line) for line in target.read_text().splitlines()]
