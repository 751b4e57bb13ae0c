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


ConversationChange = tuple[Conversation, str | None, dict]  # a conversation, its new state and data


def save_conversation(session: Session, conv: Conversation, state: str | None, data: dict) -> None:
    """Store the new state and data."""
    save_conversations(session, [(conv, state, data)])


def save_conversations(session: Session, changes: list[ConversationChange]) -> None:
    """Store the new state and data of several conversations.

    Stored conversations are updated with one plain UPDATE, executed for all of them at once (the ORM's
    change tracking cost more than the statement); new ones are added to the session and inserted when it
    flushes.
    """
    now, rows = utcnow(), []
    for conv, state, data in changes:
        data = dict(data)  # a fresh dict, so the JSON column sees the change
        if inspect(conv).persistent:
            rows.append({"key_platform": conv.platform, "key_user_id": conv.user_id,
                         "state": state, "data": data, "updated_at": now})
            for name, value in (("state", state), ("data", data), ("updated_at", now)):
                set_committed_value(conv, name, value)
        else:
            conv.state, conv.data, conv.updated_at = state, data, now
            session.add(conv)
    if rows:
        session.connection().execute(_SAVE, rows)
