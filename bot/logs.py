"""Logging that keeps secrets and personal data out: tokens, phone numbers, SQL parameters, message texts.

- every record passes a filter that masks the configured secrets, anything shaped like a bot token and
  Vietnamese phone numbers;
- a database error in a traceback is written as its kind, SQLSTATE and statement (the server's message can
  quote a row); engines hide statement parameters (`storage.db.make_engine`);
- the libraries' own DEBUG output (python-telegram-bot and httpx print request parameters, message texts
  included) is held at INFO whatever `LOG_LEVEL` says; the bot's own modules never log a message's text.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Iterable
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError

from storage.db import describe

LIBRARIES = ("aiogram", "telegram", "httpx", "httpcore", "aiohttp", "asyncio", "sqlalchemy", "alembic",
             "apscheduler", "psycopg", "urllib3", "hpack")
OWN = ("bot", "handlers", "storage", "knowledge", "messaging")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+?84|0)(?:[ .-]?\d){8,10}(?!\d)")


class Redact(logging.Filter):
    """Masks secrets, bot tokens and phone numbers in every record (message, arguments and traceback)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """The text with secrets and phone numbers masked."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _PHONE.sub("<phone>", _TOKEN.sub("<token>", text))

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (always let it through)."""
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(*record.exc_info)  # type: ignore[misc]
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        record.msg, record.args = self.scrub(message), None
        return True


def format_exception(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> str:
    """A traceback in which database errors show their kind and statement, never their values."""
    lines: list[str] = []
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = value
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or current.__context__
    for i, err in enumerate(reversed(chain)):
        if i:
            lines.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_tb(err.__traceback__))
        if _is_database_error(err):
            lines.append(f"{type(err).__module__}.{type(err).__name__}: {describe(err)}\n")
        else:
            lines.extend(traceback.format_exception_only(type(err), err))
    return "".join(lines).rstrip("\n")


def _is_database_error(err: BaseException) -> bool:
    module = type(err).__module__ or ""
    return isinstance(err, SQLAlchemyError) or module.startswith(("psycopg", "sqlite3"))


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> Redact:
    """Log to standard error at `level` through the redacting filter; libraries at INFO at most (at DEBUG)."""
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        numeric = logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format=FORMAT)
    redact = Redact(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, Redact)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
    root.setLevel(max(numeric, logging.INFO))
    for name in OWN:
        logging.getLogger(name).setLevel(numeric)
    libraries = logging.INFO if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in LIBRARIES:  # at DEBUG: their INFO (SQL statements without parameters, requests); else quiet
        logging.getLogger(name).setLevel(libraries)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return redact


class OncePer:
    """Log a repeated event once per `seconds`, with how often it happened meanwhile."""

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds = seconds
        self._last: dict[str, tuple[float, int]] = {}

    def __call__(self, key: str) -> int | None:
        """How many times since the last line, when it is time to log again; else None."""
        now = time.monotonic()
        last, count = self._last.get(key, (-1e9, 0))
        if now - last >= self.seconds:
            self._last[key] = (now, 0)
            return count + 1
        self._last[key] = (last, count + 1)
        return None
