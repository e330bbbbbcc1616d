"""A test session fails when a process it started outlives it (conftest's check)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LEAKY = """
import subprocess


def test_leaves_a_process_behind():
    subprocess.Popen(["sleep", "300"])
"""


def test_a_process_left_running_fails_the_session_and_is_ended(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q", "-p", "no:cacheprovider"]
        + ["--rootdir", str(tmp_path), str(tmp_path / "test_leaky.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    assert "1 passed" in done.stdout
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("left running")]
    assert line.endswith("sleep 300")
    pid = int(line.split("pid ", 1)[1].split(":", 1)[0])
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
