"""The Makefile: `make run` takes a host and a port and installs only what the service runs on;
the test and bench tools come with `make test` and `make bench`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INPUTS = [
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
    "requirements.lock",
    "requirements-dev.txt",
]


def planned(tmp_path: Path, *args: str) -> str:
    """What `make` would run in a fresh clone (no virtualenv yet), without running it."""
    for name in INPUTS:
        shutil.copy(ROOT / name, tmp_path)
    # Not the flags of a `make test` that runs this test.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_run_takes_a_host_and_a_port(tmp_path: Path) -> None:
    plan = planned(tmp_path, "run", "HOST=0.0.0.0", "PORT=8080")
    assert plan.splitlines()[-1] == ".venv/bin/txt2sql-api serve --host 0.0.0.0 --port 8080"


def test_make_run_defaults_to_the_loopback_whatever_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOST", "workstation")
    plan = planned(tmp_path, "run")
    assert plan.splitlines()[-1] == ".venv/bin/txt2sql-api serve --host 127.0.0.1 --port 8000"


def test_make_run_installs_the_service_only(tmp_path: Path) -> None:
    plan = planned(tmp_path, "run")
    assert "pip install -r requirements.txt -c requirements.lock" in plan
    assert "requirements-dev.txt" not in plan


@pytest.mark.parametrize("target", ["test", "bench", "install"])
def test_the_tools_come_with_the_targets_that_use_them(tmp_path: Path, target: str) -> None:
    assert "pip install -r requirements-dev.txt" in planned(tmp_path, target)
