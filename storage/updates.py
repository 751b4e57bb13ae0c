"""Deduplication of updates a messenger delivers more than once; refused attempts."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.clock import utcnow
from storage.models import ProcessedUpdate, SecurityEvent

_TABLE = ProcessedUpdate.__table__  # type: ignore[attr-defined]
_MARK = insert(_TABLE)
_MARK_NEW = {  # INSERT ... ON CONFLICT DO NOTHING RETURNING: the updates not seen before, in one statement
    name: dialect.insert(_TABLE).on_conflict_do_nothing().returning(_TABLE.c.platform, _TABLE.c.update_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def already_processed(session: Session, platform: str, update_id: str) -> bool:
    """True when the update was handled before; otherwise marks it handled (in this transaction).

    Call it first in a transaction: a duplicate is detected by the primary key, and rolls back.
    """
    try:  # a plain Core INSERT: the ORM's bookkeeping would cost more than the statement itself
        session.connection().execute(_MARK, {"platform": platform, "update_id": update_id, "at": utcnow()})
    except IntegrityError:
        session.rollback()
        return True
    return False


def can_mark_many(engine: Engine) -> bool:
    """Whether the database can mark several updates in one statement (`mark_new`)."""
    return engine.dialect.name in _MARK_NEW


def mark_new(session: Session, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Mark updates handled (in this transaction) and return those not handled before.

    One statement for all of them; an update another transaction is marking waits for it to end.
    """
    if not keys:
        return set()
    now = utcnow()
    rows = session.connection().execute(
        _MARK_NEW[session.get_bind().dialect.name],
        [{"platform": platform, "update_id": update_id, "at": now} for platform, update_id in keys],
    )
    return {(platform, update_id) for platform, update_id in rows}


def log_security_event(session: Session, platform: str, user_id: str, kind: str, detail: str) -> None:
    """Record a refused attempt."""
    session.add(SecurityEvent(platform=platform, user_id=user_id, kind=kind, detail=detail[:500]))
