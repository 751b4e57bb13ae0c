"""Secrets that change at run time (rotating tokens), kept in the database."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.clock import utcnow
from storage.models import Credential


def load_credential(engine: Engine, name: str) -> str | None:
    """The stored value, if any."""
    with Session(engine) as session:
        row = session.get(Credential, name)
        return row.value if row else None


def save_credential(engine: Engine, name: str, value: str) -> None:
    """Store (or replace) a value."""
    with Session(engine) as session:
        write_credential(session, name, value)
        session.commit()


def write_credential(session: Session, name: str, value: str) -> None:
    """Store (or replace) a value in the caller's transaction."""
    row = session.get(Credential, name) or Credential(name=name, value=value)
    row.value = value
    row.updated_at = utcnow()
    session.add(row)


def lock_credential(session: Session, name: str) -> dict[str, Any] | None:
    """Lock the JSON credential `name` for this transaction (other processes wait) and return its value.

    The lock is the row's (PostgreSQL) or the database's write lock (SQLite); a missing row is created
    empty first so there is something to lock.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Credential.__table__).values(  # type: ignore[attr-defined]
        name=name, value="{}", updated_at=utcnow()).on_conflict_do_nothing())
    session.execute(update(Credential).where(Credential.name == name).values(value=Credential.value))
    row = session.get(Credential, name, populate_existing=True)
    value = json.loads(row.value) if row is not None and row.value else {}
    return value or None
