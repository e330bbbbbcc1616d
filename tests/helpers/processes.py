"""Processes a test session starts, found again: the embedded PostgreSQL servers (pg_ctl
detaches them, so they are nobody's children) by their data directory, and the session's own
children. A session ends with none of them alive (conftest)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import psutil

# Data directories of servers the session starts outside pytest's temporary directory.
SESSION_DIRS: list[Path] = []


def _data_dir(process: psutil.Process) -> Path | None:
    try:
        argv = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    if "-D" not in argv[:-1] or not argv or Path(argv[0]).name != "postgres":
        return None
    return Path(argv[argv.index("-D") + 1]).resolve()


def postgres_servers(under: Iterable[Path]) -> list[psutil.Process]:
    """The postmasters whose data directory is one of `under` or inside one."""
    roots = [Path(directory).resolve() for directory in under]
    found = []
    for process in psutil.process_iter():
        data_dir = _data_dir(process)
        if data_dir and any(data_dir == root or root in data_dir.parents for root in roots):
            found.append(process)
    return found


def alive_children() -> list[psutil.Process]:
    children = psutil.Process(os.getpid()).children(recursive=True)
    return [child for child in children if child.is_running() and child.status() != "zombie"]


def describe(process: psutil.Process) -> str:
    try:
        return f"pid {process.pid}: {' '.join(process.cmdline())}"
    except psutil.Error:
        return f"pid {process.pid}"
