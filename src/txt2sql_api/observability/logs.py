"""Logs with the request id, and secrets masked: one JSON object a line for machines, or a
plain line for a person at a terminal (TXT2SQL_LOG_FORMAT).

Secrets are kept out of log calls in the first place; masking is the second line: any URL's
password (`scheme://user:password@host`) and every configured secret value become `***`.
Structured values go in `extra={"fields": {...}}`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from txt2sql_api.config import Settings, read_keys
from txt2sql_api.observability.context import caller_var, request_id_var

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@\"']*:)[^@\s\"']+(?=@)")


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = _URL_PASSWORD.sub(rf"\g<head>{MASK}", text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def settings_secrets(settings: Settings) -> list[str]:
    """Every secret value the settings hold: keys, and the passwords inside URLs or beside
    them in PGPASSWORD (read by asyncpg itself)."""
    secrets = (settings.dashscope_api_key, settings.openai_api_key, settings.api_key)
    values = [s.get_secret_value() for s in secrets if s]
    values += [os.environ.get("PGPASSWORD", "")]
    urls = [settings.database_url, settings.meta_database_url]
    if settings.redis_url:
        urls.append(settings.redis_url.get_secret_value())
    values += [p for url in urls if url and (p := urlsplit(url).password)]
    try:
        values += read_keys(settings)
    except (OSError, ValueError):
        pass  # the service reports an unreadable key file itself, at startup
    return values


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
            "caller": caller_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._redact(json.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """A line a person reads: local time, level, logger and message, then the request id,
    caller and fields as `name=value`; an exception's traceback below it."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        line = f"{time} {record.levelname:<7} {record.name}: {record.getMessage()}"
        context = {"request_id": request_id_var.get(), "caller": caller_var.get()}
        context.update(getattr(record, "fields", {}))
        # "-" is the context's value outside a request: noise on every startup line.
        pairs = [f"{name}={_shown(v)}" for name, v in context.items() if v not in (None, "-")]
        if pairs:
            line += "  " + " ".join(pairs)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return self._redact(line)


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return json.dumps(text, ensure_ascii=False) if not text or " " in text else text


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    redact = Redactor(settings_secrets(settings))
    as_text = settings.log_format == "text" or (
        settings.log_format == "auto" and sys.stderr.isatty()
    )
    handler.setFormatter(TextFormatter(redact) if as_text else JsonFormatter(redact))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    quiet_row_loggers()
    # pgserver logs every command it runs with its whole output (initdb's dozens of lines) at
    # INFO, and httpx2 every request the openai SDK makes: detail for DEBUG, where the
    # embedded server's start or a model call is looked into.
    if root.getEffectiveLevel() > logging.DEBUG:
        for name in DEBUG_ONLY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)


DEBUG_ONLY_LOGGERS = ("pgserver", "httpx2")


# Loggers of libraries that log what they send: at DEBUG, sse-starlette logs every chunk, and
# a chunk holds result rows. Rows never reach the log, whatever the level.
ROW_LOGGERS = ("sse_starlette", "sse_starlette.sse")


def quiet_row_loggers() -> None:
    for name in ROW_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
