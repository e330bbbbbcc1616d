"""The uvicorn configuration of `serve`, the same for one process and for each worker."""

from __future__ import annotations

import uvicorn

from txt2sql_api.api.http_limits import HttpLimits, limited_protocol
from txt2sql_api.app import create_app
from txt2sql_api.config import Settings


def server_config(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        http=limited_protocol(HttpLimits.from_settings(settings)),
        log_config=None,
        # The service logs each request itself (logs.py), without query strings: they carry
        # questions and stream tokens.
        access_log=False,
        # Past the streams' own grace: a stream stuck in a send cannot hold the exit forever.
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) + 5,
    )
