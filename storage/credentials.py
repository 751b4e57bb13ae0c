"""Secrets that change at run time (rotating tokens), kept in the database."""

from __future__ import annotations

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
        row = session.get(Credential, name) or Credential(name=name, value=value)
        row.value = value
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
