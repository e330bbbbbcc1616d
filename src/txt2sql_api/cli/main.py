"""The txt2sql-api command: serve the API, ask it a question, load the demo, import and export
verified examples, or run a stand-in model to try it without a DashScope key.

Every command that needs a database uses DATABASE_URL, or without it an embedded PostgreSQL
holding the demo database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from pydantic import ValidationError

from txt2sql_api.client import DEFAULT_URL
from txt2sql_api.config import Settings, env_name
from txt2sql_api.observability.logs import configure_logging

if TYPE_CHECKING:
    from txt2sql_api.cli.render import Renderer
    from txt2sql_api.client import Txt2SqlClient

logger = logging.getLogger("txt2sql_api.cli")

STANDIN_PORT = 8089
STANDIN_KEY = "sk-standin"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="txt2sql-api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (%(default)s)")
    serve.add_argument(
        "--workers",
        type=_positive,
        help="worker processes on the port, one per core (default: TXT2SQL_WORKERS, 1)",
    )
    commands.add_parser(
        "mcp",
        help="serve the MCP tools over standard input and output, for a local AI agent",
        description="The tools and resources of /mcp, for an agent that starts this command "
        "itself (no API key: it runs as you). Logs go to standard error.",
    )
    ask = commands.add_parser(
        "ask",
        help="ask a running service a question and show the answer as it streams in",
        description="Exit status: 0 when the answer ends with checked SQL (and its rows), "
        "1 when it ends with an error, rejected SQL, or no answer at all.",
    )
    ask.add_argument("question")
    ask.add_argument("--execute", action="store_true", help="also run the SQL and show rows")
    ask.add_argument(
        "--summarize",
        action="store_true",
        help="also run the SQL, then stream a short answer in words written from its rows",
    )
    ask.add_argument(
        "--csv",
        metavar="FILE",
        type=Path,
        help="also run the SQL and write its rows to FILE (UTF-8 with a BOM, for Excel)",
    )
    ask.add_argument(
        "--verbose",
        action="store_true",
        help="also show what the model is shown: tables and why, values, dates, examples",
    )
    ask.add_argument(
        "--conversation",
        metavar="ID",
        help="follow up in this conversation (the id the previous answer ends with)",
    )
    _service_arguments(ask)
    chat = commands.add_parser(
        "chat",
        help="a conversation at the terminal: each question follows up the ones before",
        description="Ctrl-C stops the answer being shown, Ctrl-D leaves.",
    )
    chat.add_argument("--execute", action="store_true", help="also run the SQL and show rows")
    chat.add_argument(
        "--summarize",
        action="store_true",
        help="also run the SQL, then stream a short answer in words written from its rows",
    )
    chat.add_argument("--verbose", action="store_true", help="also show what the model is shown")
    chat.add_argument("--conversation", metavar="ID", help="continue this conversation")
    _service_arguments(chat)
    standin = commands.add_parser(
        "standin",
        help="a stand-in for DashScope that answers scripted questions, to try without a key",
        description="Serves DashScope's text-generation API on this machine and answers each "
        "scripted question with its SQL (by default the demo's questions; others get a note "
        "and no SQL). Point the service at it with DASHSCOPE_HTTP_BASE_URL and the same "
        "DASHSCOPE_API_KEY.",
    )
    standin.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    standin.add_argument(
        "--port", type=int, default=STANDIN_PORT, help="port to listen on (%(default)s)"
    )
    standin.add_argument("--api-key", default=STANDIN_KEY, help="the key it accepts (%(default)s)")
    standin.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help='JSON Lines of {"question": ..., "sql": ...}, as "examples export" writes them '
        "(default: the demo's)",
    )
    demo = commands.add_parser("demo", help="the bundled demo database")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True, metavar="COMMAND")
    load = demo_commands.add_parser("load", help="load the demo database into the database")
    load.add_argument(
        "--if-missing",
        action="store_true",
        help="leave a database that already holds the demo as it is",
    )
    _jsonl_commands(
        commands,
        "examples",
        "the stored question→SQL pairs (JSON Lines)",
        "pairs",
        "Each line is checked like POST /v1/examples (the guard, then EXPLAIN against the "
        "database)",
    )
    _jsonl_commands(
        commands,
        "glossary",
        "the glossary's business terms (JSON Lines)",
        "terms",
        "Each line is checked like POST /v1/glossary (its SQL expression and tables against "
        "the database)",
    )
    db = commands.add_parser("db", help="the database the commands use")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    db_commands.add_parser(
        "url",
        help="print its URL (DATABASE_URL, or the embedded one's, which then keeps running)",
        description="Prints DATABASE_URL, or else the URL of the embedded demo database, for "
        'psql "$(txt2sql-api db url)". The embedded server is started if it is not running and '
        'keeps running afterwards: "txt2sql-api db stop" stops it.',
    )
    db_commands.add_parser(
        "stop",
        help="stop the embedded server (unless a running command still uses it)",
    )
    return parser


class Target(NamedTuple):
    """The settings a command runs with, and the URL of the database's owner (the demo's
    tables are loaded as the owner; the embedded server's questions run as a reader)."""

    settings: Settings
    owner_url: str


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def _service_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--url", default=DEFAULT_URL, help="the service (%(default)s)")
    command.add_argument(
        "--api-key",
        help="the key of a service that wants one (default: TXT2SQL_API_KEY)",
    )


def _jsonl_commands(commands: Any, name: str, summary: str, things: str, checked_how: str) -> None:
    command = commands.add_parser(name, help=summary)
    sub = command.add_subparsers(dest="jsonl_command", required=True, metavar="COMMAND")
    load_file = sub.add_parser(
        "import",
        help=f"check and store the {things} of a JSON Lines file",
        description=f"{checked_how}; refused lines are listed by number. Exit status 1 when "
        "any line was refused.",
    )
    load_file.add_argument("file", type=argparse.FileType("r", encoding="utf-8"))
    dump = sub.add_parser("export", help=f"write every stored {things[:-1]} as JSON Lines")
    dump.add_argument(
        "file",
        nargs="?",
        type=argparse.FileType("w", encoding="utf-8"),
        default=sys.stdout,
        help="(default: standard output)",
    )


@contextmanager
def database(settings: Settings, *, keep_running: bool = False) -> Iterator[Target]:
    """DATABASE_URL's database; without it, the embedded server's demo database (loaded on its
    first start), stopped at the end unless another command still uses it or `keep_running`."""
    if settings.database_url:
        yield Target(settings, settings.database_url)
        return
    from txt2sql_api.db.embedded import (
        READER_ROLE,
        default_data_dir,
        embedded_server,
        ensure_reader,
    )
    from txt2sql_api.demo.loader import ensure_demo

    data_dir = settings.data_dir or default_data_dir()
    with embedded_server(data_dir, keep_running=keep_running) as url:
        count = asyncio.run(ensure_demo(url, settings.meta_database_url))
        if count is not None:
            logger.info("loaded the demo database with %d examples", count)
        reader_url = asyncio.run(ensure_reader(url, settings.schemas))
        logger.info("generated SQL runs as %s, a role that may only SELECT", READER_ROLE)
        # The examples, answers and feedback are written as the owner, in the same database.
        meta_url = settings.meta_database_url or url
        update = {"database_url": reader_url, "meta_database_url": meta_url}
        yield Target(settings.model_copy(update=update), url)


def serve(settings: Settings, host: str, port: int) -> None:
    from txt2sql_api.cli.server import DrainingServer
    from txt2sql_api.cli.workers import serve_workers

    with database(settings) as target:
        settings = target.settings
        if settings.workers > 1:
            serve_workers(settings, host, port)
            return
        logger.info("serving on http://%s:%d (docs at /docs)", host, port)
        DrainingServer(settings, host, port).run()


def mcp(settings: Settings) -> None:
    from txt2sql_api.cli.mcp_stdio import serve_stdio

    with database(settings) as target:
        asyncio.run(serve_stdio(target.settings))


def demo_load(settings: Settings, if_missing: bool) -> None:
    from txt2sql_api.demo.loader import ensure_demo, load_demo

    with database(settings) as target:
        meta_url = target.settings.meta_database_url
        if if_missing:
            count = asyncio.run(ensure_demo(target.owner_url, meta_url))
        else:
            count = asyncio.run(load_demo(target.owner_url, meta_url))
    if count is None:
        logger.info("the database already holds the demo; left as it is")
    else:
        logger.info("demo database loaded; %d examples stored", count)


def jsonl_import(settings: Settings, what: str, source: TextIO) -> int:
    from txt2sql_api.cli.offline import import_examples, import_glossary

    work = import_examples if what == "examples" else import_glossary
    with database(settings) as target, source:
        url = target.settings.database_url
        assert url is not None
        report = asyncio.run(work(target.settings, url, source))
    for number, reason in report.refused:
        sys.stderr.write(f"line {number}: refused: {reason}\n")
    sys.stderr.write(report.summary() + "\n")
    return 1 if report.refused else 0


def jsonl_export(settings: Settings, what: str, out: TextIO) -> int:
    from txt2sql_api.cli.offline import export_examples, export_glossary

    work = export_examples if what == "examples" else export_glossary
    with database(settings) as target, out:
        url = target.settings.database_url
        assert url is not None
        count = asyncio.run(work(target.settings, url, out))
    sys.stderr.write(f"{count} {'examples' if what == 'examples' else 'terms'} exported\n")
    return 0


def db_url(settings: Settings) -> int:
    with database(settings, keep_running=True) as target:
        sys.stdout.write(target.owner_url + "\n")
    if not settings.database_url:
        sys.stderr.write('the embedded PostgreSQL keeps running: "txt2sql-api db stop" stops it\n')
    return 0


def db_stop(settings: Settings) -> int:
    if settings.database_url:
        sys.stderr.write("DATABASE_URL is set: there is no embedded server to stop\n")
        return 1
    from txt2sql_api.db.embedded import default_data_dir, running_server

    # Joining the server and letting go of it stops it, unless another process holds it.
    with running_server(settings.data_dir or default_data_dir()):
        pass
    return 0


def standin(host: str, port: int, api_key: str, answers: Path | None) -> int:
    import threading

    from txt2sql_api.demo.loader import demo_examples, pairs_in
    from txt2sql_api.llm.standin import (
        STANDIN_SUMMARY,
        UNKNOWN_QUESTION,
        DashScopeStandIn,
        sql_answers,
    )

    pairs = pairs_in(answers.read_text(encoding="utf-8")) if answers else demo_examples()
    server = DashScopeStandIn(
        api_key, host, port, answers=sql_answers(pairs), summary=STANDIN_SUMMARY
    )
    server.default = UNKNOWN_QUESTION
    with server:
        logger.info(
            "DashScope stand-in answering %d scripted questions; point the service at it with "
            "DASHSCOPE_HTTP_BASE_URL=%s DASHSCOPE_API_KEY=%s",
            len(pairs),
            server.base_url,
            api_key,
        )
        try:
            threading.Event().wait()
        finally:
            logger.info("stand-in stopping: %s", server.stats())
    return 0


def _renderer(verbose: bool) -> Renderer:
    from rich.console import Console

    from txt2sql_api.cli.render import PlainRenderer, TerminalRenderer

    renderer: Renderer = (
        TerminalRenderer(Console())
        if sys.stdout.isatty()
        else PlainRenderer(sys.stdout, sys.stderr)
    )
    renderer.verbose = verbose
    return renderer


class Asking(NamedTuple):
    """How `ask` and `chat` ask: which service, with which key, and what to do beyond the SQL."""

    url: str
    api_key: str | None = None
    execute: bool = False
    summarize: bool = False
    verbose: bool = False
    csv: Path | None = None

    @property
    def runs_sql(self) -> bool:
        # Rows to summarize or to write need the SQL run.
        return self.execute or self.summarize or self.csv is not None


def _answer(
    client: Txt2SqlClient,
    renderer: Renderer,
    question: str,
    asking: Asking,
    conversation_id: str | None,
) -> None:
    """Shows one answer as it streams in; a refusal or a lost service is shown as an error."""
    import httpx

    from txt2sql_api.cli.csv_rows import CsvRows
    from txt2sql_api.client import AskError

    rows = CsvRows(asking.csv) if asking.csv else None
    try:
        with client.ask(
            question,
            execute=asking.runs_sql,
            summarize=asking.summarize,
            conversation_id=conversation_id,
        ) as events:
            for event in events:
                if rows is not None:
                    rows.take(event)
                renderer.show(event)
    except AskError as exc:
        hint = ""
        if exc.status_code == 401:
            hint = " (pass its key with --api-key or TXT2SQL_API_KEY)"
        renderer.error(f"the service refused the question: {exc}{hint}", "refused")
    except httpx.HTTPError as exc:
        renderer.error(
            f"no answer from {client.base_url}: {exc or type(exc).__name__}", "unreachable"
        )
    finally:
        if rows is not None:
            rows.close()
            renderer.note(
                f"{rows.rows} rows written to {rows.path}"
                if rows.written
                else f"no rows: {rows.path} not written"
            )


def ask(question: str, asking: Asking, conversation_id: str | None = None) -> int:
    from txt2sql_api.client import Txt2SqlClient

    with (
        _renderer(asking.verbose) as renderer,
        Txt2SqlClient(asking.url, api_key=asking.api_key) as client,
    ):
        try:
            _answer(client, renderer, question, asking, conversation_id)
        except KeyboardInterrupt:
            return 130
    return renderer.exit_code


def chat(asking: Asking, conversation_id: str | None = None) -> int:
    """Questions from the terminal, each one following up the ones before it."""
    from txt2sql_api.client import Txt2SqlClient

    with Txt2SqlClient(asking.url, api_key=asking.api_key) as client:
        while True:
            try:
                question = input("问> ").strip()
            except EOFError:
                sys.stdout.write("\n")
                return 0
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                continue
            if not question:
                continue
            with _renderer(asking.verbose) as renderer:
                try:
                    _answer(client, renderer, question, asking, conversation_id)
                except KeyboardInterrupt:
                    renderer.error("stopped", "stopped")
            conversation_id = renderer.conversation_id or conversation_id


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "\n".join(
            f"  {_setting_name(error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise SystemExit(
            f"txt2sql-api: the settings (environment and .env) are wrong:\n{problems}"
        ) from None


def _setting_name(loc: tuple[int | str, ...]) -> str:
    """A validation error's field as the environment names it (an alias is named as is)."""
    name = str(loc[0]) if loc else "settings"
    return env_name(name) if name in Settings.model_fields else name


class _Terminated(BaseException):
    """SIGTERM, raised where the command is, so that its `finally` blocks run: the default
    action ends the process at once, leaving the embedded server running."""


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    # `serve` gets the signal once uvicorn has shut down: uvicorn raises it again then.
    signal.signal(signal.SIGTERM, _raise_terminated)
    settings = _settings()
    try:
        raise SystemExit(_run(args, settings))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except _Terminated:
        # Cleaned up: now end as SIGTERM ends a process, which supervisors take for a clean stop.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("ask", "chat"):
        # httpx logs every request at INFO: only warnings belong next to an answer.
        configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
        key = args.api_key or (settings.api_key.get_secret_value() if settings.api_key else None)
        asking = Asking(
            args.url,
            key,
            execute=args.execute,
            summarize=args.summarize,
            verbose=args.verbose,
            csv=getattr(args, "csv", None),
        )
        if args.command == "chat":
            return chat(asking, args.conversation)
        return ask(args.question, asking, args.conversation)
    configure_logging(settings)
    if args.command == "serve":
        if args.workers is not None:
            settings = settings.model_copy(update={"workers": args.workers})
        serve(settings, args.host, args.port)
        return 0
    if args.command == "mcp":
        mcp(settings)
        return 0
    if args.command == "standin":
        return standin(args.host, args.port, args.api_key, args.answers)
    if args.command in ("examples", "glossary"):
        if args.jsonl_command == "import":
            return jsonl_import(settings, args.command, args.file)
        return jsonl_export(settings, args.command, args.file)
    if args.command == "db":
        return db_url(settings) if args.db_command == "url" else db_stop(settings)
    demo_load(settings, args.if_missing)
    return 0
