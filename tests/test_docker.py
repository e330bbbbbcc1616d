"""Docker files, checked without a Docker engine: the compose file through Debian's
docker-compose, the image's install steps against the Makefile's, the database's init script
against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import yaml

from tests.helpers.pg import Databases, socket_dir, with_user
from txt2sql_api.config import Settings
from txt2sql_api.demo.loader import load_demo

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parent.parent


def compose_config(
    tmp_path: Path, env_file: str | None, *profiles: str
) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` on a copy of the project's compose file, with the given .env."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file, encoding="utf-8")
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DASHSCOPE_API_KEY", "POSTGRES_PASSWORD")
    }
    return subprocess.run(
        ["docker-compose", *(f"--profile={p}" for p in profiles), "config"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


# What breaks a URL, and would break the service's if the password were inside it.
PASSWORD = "p@ss:w/rd?#1"


def test_compose_file_is_valid_and_wires_the_services(tmp_path: Path) -> None:
    env_file = (ROOT / ".env.example").read_text(encoding="utf-8")
    env_file += f"\nDASHSCOPE_API_KEY=sk-compose\nPOSTGRES_PASSWORD={PASSWORD}\n"
    done = compose_config(tmp_path, env_file)
    assert done.returncode == 0, done.stderr
    services: dict[str, Any] = yaml.safe_load(done.stdout)["services"]

    db, seed, api = services["db"], services["seed"], services["api"]
    assert db["healthcheck"]["test"][1].startswith("pg_isready")
    assert seed["command"] == ["txt2sql-api", "demo", "load", "--if-missing"]
    assert seed["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert api["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "seed": {"condition": "service_completed_successfully"},
    }
    assert api["environment"]["DASHSCOPE_API_KEY"] == "sk-compose"
    assert api["environment"]["DATABASE_URL"] == "postgresql://txt2sql_reader@db:5432/txt2sql"
    assert api["environment"]["TXT2SQL_META_DATABASE_URL"] == seed["environment"]["DATABASE_URL"]
    # Any password: the clients read it from PGPASSWORD, beside URLs it cannot break.
    assert db["environment"]["POSTGRES_PASSWORD"] == PASSWORD
    for service in (seed, api):
        assert service["environment"]["PGPASSWORD"] == PASSWORD
        assert PASSWORD not in str(service["environment"].get("DATABASE_URL"))
    settings = Settings(_env_file=None, **api["environment"])
    assert settings.database_url and settings.meta_database_url
    # From .env through env_file: the service's own settings reach the container.
    assert api["environment"]["TXT2SQL_MODEL"] == "qwen-plus"
    assert [p["published"] if isinstance(p, dict) else p for p in api["ports"]] == [
        "127.0.0.1:8000:8000/tcp"
    ]


def test_the_scale_profile_runs_replicas_behind_a_load_balancer_sharing_redis(
    tmp_path: Path,
) -> None:
    env_file = "DASHSCOPE_API_KEY=sk-compose\nPOSTGRES_PASSWORD=s3cret\n"
    done = compose_config(tmp_path, env_file, "scale")
    assert done.returncode == 0, done.stderr
    services: dict[str, Any] = yaml.safe_load(done.stdout)["services"]
    # Only `--profile scale` starts them; a plain `up` is the one API of before.
    for name in ("api-replica", "redis", "lb"):
        assert services[name]["profiles"] == ["scale"]
    assert "profiles" not in services["api"]
    replica = services["api-replica"]
    assert replica["deploy"]["replicas"] == 2 and not replica.get("ports")
    assert replica["environment"]["TXT2SQL_REDIS_URL"] == "redis://redis:6379/0"
    assert replica["environment"]["DATABASE_URL"] == services["api"]["environment"]["DATABASE_URL"]
    nginx = (ROOT / "docker" / "nginx.conf").read_text(encoding="utf-8")
    assert "server api-replica:8000;" in nginx and "proxy_buffering off;" in nginx


@pytest.mark.parametrize("missing", ["DASHSCOPE_API_KEY", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path, missing: str) -> None:
    present = {"DASHSCOPE_API_KEY": "sk-compose", "POSTGRES_PASSWORD": "s3cret"}
    present.pop(missing)
    done = compose_config(tmp_path, "".join(f"{k}={v}\n" for k, v in present.items()))
    assert done.returncode != 0
    assert f"set {missing} in .env" in done.stderr


def pip_lines(text: str, prefix: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    return [line.removeprefix(prefix) for line in lines if line.startswith(prefix + "pip ")]


def test_the_image_installs_with_the_makefile_commands() -> None:
    makefile = pip_lines((ROOT / "Makefile").read_text(encoding="utf-8"), "$(BIN)/")
    dockerfile = pip_lines((ROOT / "Dockerfile").read_text(encoding="utf-8"), "RUN ")
    assert len(makefile) >= 4
    assert dockerfile == [line for line in makefile if "requirements-dev.txt" not in line]


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    (user,) = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user not in ("root", "0")
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1].split("\n\n")[0]
    assert dockerfile.rstrip().endswith(
        'CMD ["txt2sql-api", "serve", "--host", "0.0.0.0", "--port", "8000"]'
    )
    # The dependencies' layer comes before the code's.
    assert dockerfile.index("pip install -r requirements.txt") < dockerfile.index("COPY src")


async def test_the_init_script_makes_a_role_that_can_only_read(databases: Databases) -> None:
    url = await databases.create()
    parts = urlsplit(url)
    # txt2sql_ro_*: the prefix the attack tests' role checksums leave out (tests/sql/test_run.py).
    role = f"txt2sql_ro_{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "PGHOST": parts.hostname or socket_dir(url) or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGPASSWORD": parts.password or "",
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_DB": parts.path.lstrip("/"),
        "POSTGRES_PASSWORD": "reader-password",
        "READER_ROLE": role,
    }
    await asyncio.to_thread(
        subprocess.run,
        ["sh", str(ROOT / "docker/initdb/10-reader.sh")],
        env=environment,
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        await load_demo(url)  # after the script, as the seed service does
        reader = await asyncpg.connect(with_user(url, role))
        try:
            assert await reader.fetchval("SELECT count(*) FROM dtzpt") > 0
            assert await reader.fetchval("SELECT count(*) FROM v_zdrjkl") > 0
            for statement in (
                "DELETE FROM dtzpt",
                "UPDATE xlxx SET xlmc = 'x'",
                "CREATE TABLE public.t (i int)",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await reader.execute(statement)
        finally:
            await reader.close()
    finally:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP OWNED BY "{role}"')
            await admin.execute(f'DROP ROLE "{role}"')
        finally:
            await admin.close()
