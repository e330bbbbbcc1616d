"""The embedded PostgreSQL: every command without DATABASE_URL uses it, and it stops with the
command that started it, however that command is stopped; one a crash left running is taken
over and stopped by the next."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.helpers.app import TEST_API_KEY
from tests.helpers.eventually import eventually_sync
from tests.helpers.processes import postgres_servers
from tests.helpers.serve_process import CLI, serve_process
from tests.helpers.standin.dashscope_server import DashScopeStandIn
from txt2sql_api.db.embedded import HANDLES_FILE
from txt2sql_api.demo.loader import demo_examples

pytestmark = pytest.mark.slow


def embedded_env(data_dir: Path) -> dict[str, str]:
    return {"TXT2SQL_DATA_DIR": str(data_dir)}


def stopped_by(process: subprocess.Popen[bytes], signum: signal.Signals) -> int:
    process.send_signal(signum)
    return process.wait(timeout=30)


def test_the_embedded_server_stops_with_serve_and_outlives_no_crash(
    tmp_path: Path, standin_server: DashScopeStandIn
) -> None:
    data_dir = tmp_path / "pgdata"
    env = embedded_env(data_dir) | {
        "DASHSCOPE_API_KEY": TEST_API_KEY,
        "DASHSCOPE_HTTP_BASE_URL": standin_server.base_url,
    }

    with serve_process(env, startup_timeout=120) as (_, crashed):
        (server,) = postgres_servers([data_dir])
        crashed.kill()
        crashed.wait()
    # A crash runs no clean-up: the server is still up, and the dead process still holds it.
    assert server.is_running()
    assert crashed.pid in json.loads((data_dir / HANDLES_FILE).read_text())

    with serve_process(env) as (base_url, process):
        assert postgres_servers([data_dir]) == [server]  # taken over, not a second one
        assert httpx.get(f"{base_url}/readyz", timeout=10).status_code == 200
        assert stopped_by(process, signal.SIGTERM) == -signal.SIGTERM
    eventually_sync(lambda: not postgres_servers([data_dir]), "the server stopped on SIGTERM")

    with serve_process(env) as (_, process):
        assert len(postgres_servers([data_dir])) == 1
        stopped_by(process, signal.SIGINT)
    eventually_sync(lambda: not postgres_servers([data_dir]), "the server stopped on SIGINT")


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | embedded_env(data_dir)
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, timeout=120, env=env, cwd=data_dir.parent
    )


def test_every_command_without_database_url_uses_the_embedded_demo_database(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "pgdata"
    exported = run(data_dir, "examples", "export")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == len(demo_examples())
    assert not postgres_servers([data_dir])  # stopped as the command ended

    pair = {"question": "嵌入式数据库里有几个站", "sql": "SELECT count(*) FROM dtzpt"}
    source = tmp_path / "pair.jsonl"
    source.write_text(json.dumps(pair, ensure_ascii=False) + "\n", encoding="utf-8")
    imported = run(data_dir, "examples", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 refused" in imported.stderr.splitlines()

    loaded = run(data_dir, "demo", "load", "--if-missing")
    assert loaded.returncode == 0, loaded.stderr
    assert "already holds the demo" in loaded.stderr

    shown = run(data_dir, "db", "url")
    assert shown.returncode == 0, shown.stderr
    assert "keeps running" in shown.stderr
    url = shown.stdout.strip()
    assert len(postgres_servers([data_dir])) == 1

    async def questions() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            return [
                r["question"] for r in await conn.fetch("SELECT question FROM txt2sql.examples")
            ]
        finally:
            await conn.close()

    assert pair["question"] in asyncio.run(questions())
    stopped = run(data_dir, "db", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not postgres_servers([data_dir])
