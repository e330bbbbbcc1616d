"""`txt2sql-api serve --workers N`: N worker processes answering on one port.

Each worker listens on the port with a socket of its own (SO_REUSEPORT), so the kernel spreads
new connections across them evenly rather than waking every worker for each one; the parent
holds the port bound, unlistened, so that a port in use fails at once. The embedded database,
if there is one, is started before this. The parent makes a fresh directory the workers share
(Prometheus's multiprocess files and, without Redis, the host's quota counters), starts the
workers with the settings it resolved, and restarts one that dies. On SIGTERM or Ctrl-C it
passes SIGTERM on to every worker, which drains its streams as a single server does, and waits
for all of them before it returns (the embedded database stops after that)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import socket
import tempfile
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

from txt2sql_api.config import Settings
from txt2sql_api.observability.metrics import MULTIPROCESS_DIR_VARIABLE

logger = logging.getLogger("txt2sql_api.cli")

# A worker that exits sooner than this after its start is failing, not crashing now and then:
# restarting it would only repeat the failure.
STARTUP_SECONDS = 10.0
BACKLOG = 2048


def serve_workers(settings: Settings, host: str, port: int) -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="txt2sql-workers-"))
    metrics_dir = state_dir / "metrics"
    metrics_dir.mkdir()
    # Read by prometheus_client when a worker imports it: its values go to files there.
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(metrics_dir)
    settings = settings.model_copy(update={"workers_state_dir": state_dir})
    reserved = _bind(host, port)
    context = multiprocessing.get_context("spawn")
    workers: list[tuple[BaseProcess, float]] = []
    try:
        workers = [_start(context, settings, host, port, n) for n in range(settings.workers)]
        logger.info("%d workers serving on http://%s:%d", settings.workers, host, port)
        while True:
            workers = [
                _restarted(context, settings, host, port, n, w) for n, w in enumerate(workers)
            ]
            time.sleep(0.5)
    finally:
        _stop(workers, settings.shutdown_grace_seconds + 10)
        reserved.close()
        shutil.rmtree(state_dir, ignore_errors=True)
        os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bound = socket.socket(family, socket.SOCK_STREAM)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    bound.bind((host, port))
    return bound


def _start(
    context: multiprocessing.context.SpawnContext,
    settings: Settings,
    host: str,
    port: int,
    number: int,
) -> tuple[BaseProcess, float]:
    process = context.Process(
        target=run_worker, args=(settings, host, port), name=f"txt2sql-worker-{number}"
    )
    process.start()
    return process, time.monotonic()


def _restarted(
    context: multiprocessing.context.SpawnContext,
    settings: Settings,
    host: str,
    port: int,
    number: int,
    worker: tuple[BaseProcess, float],
) -> tuple[BaseProcess, float]:
    process, started = worker
    if process.is_alive():
        return worker
    _forget(process)
    if time.monotonic() - started < STARTUP_SECONDS:
        raise SystemExit(f"worker {number} exited at its start (status {process.exitcode})")
    logger.warning("worker %d exited (status %s): starting another", number, process.exitcode)
    return _start(context, settings, host, port, number)


def _stop(workers: list[tuple[BaseProcess, float]], grace_seconds: float) -> None:
    for process, _ in workers:
        if process.is_alive():
            process.terminate()  # SIGTERM: the worker drains its streams
    deadline = time.monotonic() + grace_seconds
    for process, _ in workers:
        process.join(max(deadline - time.monotonic(), 0))
        if process.is_alive():
            logger.warning("worker pid %s did not stop in time: killed", process.pid)
            process.kill()
            process.join()
        _forget(process)


def _forget(process: BaseProcess) -> None:
    """A dead worker's live gauges no longer count (prometheus_client's `livesum`)."""
    from prometheus_client import multiprocess

    if process.pid is not None:
        multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]


def run_worker(settings: Settings, host: str, port: int) -> None:
    """One worker: the app on its own socket of the port, with uvicorn's graceful shutdown."""
    from txt2sql_api.cli.server import DrainingServer
    from txt2sql_api.observability.logs import configure_logging

    configure_logging(settings)
    listening = _bind(host, port)
    listening.listen(BACKLOG)
    DrainingServer(settings, host, port).run(sockets=[listening])
