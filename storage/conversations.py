"""Conversation state per (platform, user)."""

from __future__ import annotations

from sqlalchemy import bindparam, inspect, update
from sqlalchemy.orm.attributes import set_committed_value
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


_SAVE = (
    update(Conversation.__table__)  # type: ignore[attr-defined]
    .where(Conversation.platform == bindparam("key_platform"), Conversation.user_id == bindparam("key_user_id"))
    .values(state=bindparam("state"), data=bindparam("data"), updated_at=bindparam("updated_at"))
)


def save_conversation(session: Session, conv: Conversation, state: str | None, data: dict) -> None:
    """Store the new state and data.

    A stored conversation is updated with one plain UPDATE (the ORM's change tracking cost more than the
    statement); a new one is added to the session and inserted when it flushes.
    """
    now, data = utcnow(), dict(data)  # a fresh dict, so the JSON column sees the change
    if inspect(conv).persistent:
        session.connection().execute(_SAVE, {"key_platform": conv.platform, "key_user_id": conv.user_id,
                                             "state": state, "data": data, "updated_at": now})
        for name, value in (("state", state), ("data", data), ("updated_at", now)):
            set_committed_value(conv, name, value)
        return
    conv.state = state
    conv.data = data
    conv.updated_at = now
    session.add(conv)
