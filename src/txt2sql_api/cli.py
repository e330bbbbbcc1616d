"""`txt2sql-api serve | demo load`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from txt2sql_api.config import Settings
from txt2sql_api.logs import configure_logging

logger = logging.getLogger("txt2sql_api.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="txt2sql-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    demo = commands.add_parser("demo", help="the bundled demo database")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    demo_commands.add_parser("load", help="load the demo database into DATABASE_URL")
    return parser


def _with_embedded_database(settings: Settings) -> tuple[Settings, Any]:
    """Without DATABASE_URL, start the embedded server and load the demo on its first start."""
    if settings.database_url:
        return settings, None
    from txt2sql_api.demo.loader import demo_loaded, load_demo
    from txt2sql_api.embedded import default_data_dir, start_embedded

    server, url = start_embedded(settings.data_dir or default_data_dir())
    if not asyncio.run(demo_loaded(url)):
        count = asyncio.run(load_demo(url, settings.meta_database_url))
        logger.info("loaded the demo database with %d examples", count)
    return settings.model_copy(update={"database_url": url}), server


def serve(host: str, port: int) -> None:
    import uvicorn

    from txt2sql_api.app import create_app

    settings, server = _with_embedded_database(Settings())
    logger.info("serving on http://%s:%d (docs at /docs)", host, port)
    try:
        # The service logs each request itself (logs.py), without query strings: they carry
        # questions and stream tokens.
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
    finally:
        del server


def demo_load() -> None:
    from txt2sql_api.demo.loader import load_demo

    settings = Settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: say which database to load the demo into")
    count = asyncio.run(load_demo(settings.database_url, settings.meta_database_url))
    logger.info("demo database loaded; %d examples stored", count)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    configure_logging(Settings())
    if args.command == "serve":
        serve(args.host, args.port)
    else:
        demo_load()
