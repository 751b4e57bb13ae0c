"""Deduplication of updates a messenger delivers more than once; refused attempts."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.clock import utcnow
from storage.models import ProcessedUpdate, SecurityEvent

_MARK = insert(ProcessedUpdate.__table__)  # type: ignore[attr-defined]


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


def log_security_event(session: Session, platform: str, user_id: str, kind: str, detail: str) -> None:
    """Record a refused attempt."""
    session.add(SecurityEvent(platform=platform, user_id=user_id, kind=kind, detail=detail[:500]))
