"""Reading what the follow-ups queued, as the messengers would deliver it."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from messaging.types import Outgoing
from storage.models import OutboxMessage, Ticket
from tests.chat_driver import Chat


def queued(engine: Engine, chat_id: str, kind: str | None = None) -> list[Outgoing]:
    """Messages queued for `chat_id` (of `kind`), oldest first."""
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(col(OutboxMessage.id)))
        messages = [Outgoing.from_dict(r.payload) for r in rows]
    return [m for m in messages if kind is None or m.kind == kind]


def show_latest(engine: Engine, chat: Chat, kind: str = "survey") -> Outgoing:
    """Put the latest queued message of `kind` in front of the chat's user (so its buttons can be pressed)."""
    messages = queued(engine, chat.chat_id, kind)
    assert messages, f"nothing of kind {kind!r} queued for {chat.chat_id}"
    chat.last = [messages[-1]]
    return messages[-1]


def ticket(engine: Engine, code: str) -> Ticket:
    """The ticket as stored now."""
    with Session(engine) as s:
        return s.exec(select(Ticket).where(Ticket.code == code)).one()


def resolved_ticket(citizen: Chat, staff: Chat, reason: str = "Đã thay bóng đèn") -> str:
    """A citizen files a ticket and staff resolve it; returns its code."""
    citizen.start_and_consent()
    code = citizen.file_ticket()
    staff.say(f"/status {code} resolved {reason}")
    return code
