"""The JSONL commands (`examples`, `glossary`) run as a user runs them, against a database."""

from __future__ import annotations

import json
import os
import subprocess

from tests.helpers.serve_process import CLI


def run(what: str, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db}
    return subprocess.run(
        [CLI, what, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def exported(what: str, db: str) -> list[dict[str, object]]:
    done = run(what, db, "export")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]
