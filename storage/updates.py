"""Deduplication of updates a messenger delivers more than once; refused attempts."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import ProcessedUpdate, SecurityEvent


def already_processed(session: Session, platform: str, update_id: str) -> bool:
    """True when the update was handled before; otherwise marks it handled (in this transaction)."""
    if session.get(ProcessedUpdate, (platform, update_id)) is not None:
        return True
    session.add(ProcessedUpdate(platform=platform, update_id=update_id))
    session.flush()
    return False


def log_security_event(session: Session, platform: str, user_id: str, kind: str, detail: str) -> None:
    """Record a refused attempt."""
    session.add(SecurityEvent(platform=platform, user_id=user_id, kind=kind, detail=detail[:500]))
