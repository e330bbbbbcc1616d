"""`txt2sql-api serve | ask | demo load | examples import|export | glossary import|export`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from txt2sql_api.client import DEFAULT_URL
from txt2sql_api.config import Settings
from txt2sql_api.observability.logs import configure_logging

logger = logging.getLogger("txt2sql_api.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="txt2sql-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    ask = commands.add_parser(
        "ask",
        help="ask a running service a question and show the answer as it streams in",
        description="Exit status: 0 when the answer ends with checked SQL (and its rows), "
        "1 when it ends with an error, rejected SQL, or no answer at all.",
    )
    ask.add_argument("question")
    ask.add_argument("--execute", action="store_true", help="also run the SQL and show rows")
    ask.add_argument(
        "--verbose",
        action="store_true",
        help="also show what the model is shown: tables and why, values, dates, examples",
    )
    ask.add_argument("--url", default=DEFAULT_URL, help=f"the service (default {DEFAULT_URL})")
    demo = commands.add_parser("demo", help="the bundled demo database")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    load = demo_commands.add_parser("load", help="load the demo database into DATABASE_URL")
    load.add_argument(
        "--if-missing",
        action="store_true",
        help="leave a database that already holds the demo as it is",
    )
    _jsonl_commands(
        commands,
        "examples",
        "the stored question→SQL pairs (JSONL)",
        "pairs",
        "Each line is checked like POST /v1/examples (the guard, then EXPLAIN against "
        "DATABASE_URL)",
    )
    _jsonl_commands(
        commands,
        "glossary",
        "the glossary's business terms (JSONL)",
        "terms",
        "Each line is checked like POST /v1/glossary (its SQL expression and tables against "
        "DATABASE_URL)",
    )
    return parser


def _jsonl_commands(commands: Any, name: str, summary: str, things: str, checked_how: str) -> None:
    command = commands.add_parser(name, help=summary)
    sub = command.add_subparsers(dest="jsonl_command", required=True)
    load_file = sub.add_parser(
        "import",
        help=f"check and store the {things} of a JSONL file",
        description=f"{checked_how}; refused lines are listed by number. Exit status 1 when "
        "any line was refused.",
    )
    load_file.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    dump = sub.add_parser("export", help=f"write every stored {things[:-1]} as JSONL")
    dump.add_argument(
        "file",
        nargs="?",
        type=argparse.FileType("w", encoding="utf-8"),
        default=sys.stdout,
        help="(default: standard output)",
    )


def _with_embedded_database(settings: Settings) -> tuple[Settings, Any]:
    """Without DATABASE_URL, start the embedded server and load the demo on its first start."""
    if settings.database_url:
        return settings, None
    from txt2sql_api.db.embedded import (
        READER_ROLE,
        default_data_dir,
        ensure_reader,
        start_embedded,
    )
    from txt2sql_api.demo.loader import ensure_demo

    server, url = start_embedded(settings.data_dir or default_data_dir())
    count = asyncio.run(ensure_demo(url, settings.meta_database_url))
    if count is not None:
        logger.info("loaded the demo database with %d examples", count)
    reader_url = asyncio.run(ensure_reader(url, settings.schemas))
    logger.info("generated SQL runs as %s, a role that may only SELECT", READER_ROLE)
    # The examples, answers and feedback are written as the owner, in the same database.
    meta_url = settings.meta_database_url or url
    update = {"database_url": reader_url, "meta_database_url": meta_url}
    return settings.model_copy(update=update), server


def serve(host: str, port: int) -> None:
    import uvicorn

    from txt2sql_api.api.http_limits import HttpLimits, limited_protocol
    from txt2sql_api.app import create_app

    settings, server = _with_embedded_database(Settings())
    logger.info("serving on http://%s:%d (docs at /docs)", host, port)
    try:
        uvicorn.run(
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
    finally:
        del server


def demo_load(if_missing: bool) -> None:
    from txt2sql_api.demo.loader import ensure_demo, load_demo

    settings = Settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: say which database to load the demo into")
    if if_missing:
        count = asyncio.run(ensure_demo(settings.database_url, settings.meta_database_url))
    else:
        count = asyncio.run(load_demo(settings.database_url, settings.meta_database_url))
    if count is None:
        logger.info("the database already holds the demo; left as it is")
    else:
        logger.info("demo database loaded; %d examples stored", count)


def _database_url() -> tuple[Settings, str]:
    settings = Settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: say which database the JSONL is for")
    return settings, settings.database_url


def jsonl_import(what: str, source: TextIO) -> int:
    from txt2sql_api.cli.offline import import_examples, import_glossary

    settings, url = _database_url()
    work = import_examples if what == "examples" else import_glossary
    with source:
        report = asyncio.run(work(settings, url, source))
    for number, reason in report.refused:
        sys.stderr.write(f"line {number}: refused: {reason}\n")
    sys.stderr.write(report.summary() + "\n")
    return 1 if report.refused else 0


def jsonl_export(what: str, out: TextIO) -> int:
    from txt2sql_api.cli.offline import export_examples, export_glossary

    settings, url = _database_url()
    work = export_examples if what == "examples" else export_glossary
    with out:
        count = asyncio.run(work(settings, url, out))
    sys.stderr.write(f"{count} {'examples' if what == 'examples' else 'terms'} exported\n")
    return 0


def ask(question: str, *, execute: bool, url: str, verbose: bool = False) -> int:
    import httpx
    from rich.console import Console

    from txt2sql_api.cli.render import PlainRenderer, Renderer, TerminalRenderer
    from txt2sql_api.client import AskError, Txt2SqlClient

    renderer: Renderer = (
        TerminalRenderer(Console())
        if sys.stdout.isatty()
        else PlainRenderer(sys.stdout, sys.stderr)
    )
    renderer.verbose = verbose
    with renderer:
        try:
            with Txt2SqlClient(url) as client, client.ask(question, execute=execute) as events:
                for event in events:
                    renderer.show(event)
        except AskError as exc:
            renderer.error(f"the service refused the question: {exc}", "refused")
        except httpx.HTTPError as exc:
            renderer.error(f"no answer from {url}: {exc or type(exc).__name__}", "unreachable")
        except KeyboardInterrupt:
            return 130
    return renderer.exit_code


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "ask":
        # httpx logs every request at INFO: only warnings belong next to an answer.
        configure_logging(Settings(log_level="WARNING"))
        raise SystemExit(
            ask(args.question, execute=args.execute, url=args.url, verbose=args.verbose)
        )
    configure_logging(Settings())
    if args.command == "serve":
        serve(args.host, args.port)
    elif args.command in ("examples", "glossary"):
        if args.jsonl_command == "import":
            raise SystemExit(jsonl_import(args.command, args.file))
        raise SystemExit(jsonl_export(args.command, args.file))
    else:
        demo_load(args.if_missing)
