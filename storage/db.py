"""Engines, sessions and schema upgrades."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine

import storage.models  # noqa: F401  (registers the tables)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL.

    Statement parameters never appear in logs or in the text of database errors (`hide_parameters`): they
    hold what citizens wrote and their phone numbers.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url != "sqlite://":
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a power cut loses at most the last commits
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # no ping before every transaction (a round trip each): a connection the server dropped fails its
    # first statement, the pool then replaces every older connection, and callers retry once
    # (`connection_was_lost`)
    kwargs.setdefault("pool_pre_ping", False)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def create_all(engine: Engine) -> None:
    """Create every table directly (tests); deployed databases use `upgrade`."""
    SQLModel.metadata.create_all(engine)


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` with Alembic."""
    command.upgrade(alembic_config(url), revision)


def describe(err: BaseException) -> str:
    """A database error for the log: its kind, SQLSTATE and statement, never its values or the server's detail
    (which can quote a row: a description, a phone number)."""
    orig = getattr(err, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    kind = type(orig).__name__ if orig is not None else type(err).__name__
    statement = " ".join(str(getattr(err, "statement", "") or "").split())
    return f"{kind}{f' ({code})' if code else ''}{f' in: {statement[:300]}' if statement else ''}"


def connection_was_lost(err: BaseException) -> bool:
    """Whether a database error came from a connection the server had closed (safe to retry once)."""
    return isinstance(err, DBAPIError) and err.connection_invalidated


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
