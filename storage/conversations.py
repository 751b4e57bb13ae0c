"""Conversation state per (platform, user)."""

from __future__ import annotations

from sqlmodel import Session

from storage.clock import utcnow
from storage.models import Conversation


def load_conversation(session: Session, platform: str, user_id: str) -> Conversation:
    """The user's conversation row (a new, empty one when there is none yet)."""
    conv = session.get(Conversation, (platform, user_id))
    if conv is None:
        conv = Conversation(platform=platform, user_id=user_id, state=None, data={})
        session.add(conv)
    return conv


def save_conversation(session: Session, conv: Conversation, state: str | None, data: dict) -> None:
    """Store the new state and data (a fresh dict, so the JSON column sees the change)."""
    conv.state = state
    conv.data = dict(data)
    conv.updated_at = utcnow()
    session.add(conv)
