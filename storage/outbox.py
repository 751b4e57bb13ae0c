"""The durable outbox: messages written first, delivered later by a sender, marked when delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import OutboxMessage

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed message, detached from its session."""

    id: int
    platform: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int


def enqueue(session: Session, platform: str, chat_id: str, payload: dict[str, Any]) -> OutboxMessage:
    """Write a message (a plain JSON payload) for later delivery, in the caller's transaction."""
    row = OutboxMessage(platform=platform, chat_id=str(chat_id), payload=payload)
    session.add(row)
    return row


def claim_due(engine: Engine, platform: str, limit: int = 50, lease_seconds: float = 60.0,
              chat_id: str | None = None) -> list[OutboxItem]:
    """Take up to `limit` due messages for `platform` (and `chat_id`), leased so no other worker sends them.

    A message whose lease ran out (its worker died before marking it) becomes due again.
    """
    now = utcnow()
    with Session(engine) as session:
        query = select(OutboxMessage.id).where(
            OutboxMessage.platform == platform,
            col(OutboxMessage.status).in_((PENDING, SENDING)),
            OutboxMessage.next_attempt_at <= now,
        )
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        ids = list(session.exec(query.order_by(col(OutboxMessage.id)).limit(limit)))
        if not ids:
            return []
        # one statement claims them all; the conditions are checked again, so a message another worker
        # claimed in the meantime is left out
        rows = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status).in_((PENDING, SENDING)),
                   col(OutboxMessage.next_attempt_at) <= now)
            .values(status=SENDING, next_attempt_at=now + timedelta(seconds=lease_seconds),
                    attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id, OutboxMessage.platform, OutboxMessage.chat_id, OutboxMessage.payload,
                       OutboxMessage.attempts)
        ).all()
        claimed = sorted((OutboxItem(*row) for row in rows), key=lambda item: item.id)
        session.commit()
        return claimed


def mark_sent(engine: Engine, item_id: int) -> None:
    """Record a successful delivery (it will never be sent again)."""
    _set(engine, item_id, status=SENT, sent_at=utcnow(), last_error=None)


def mark_retry(engine: Engine, item_id: int, error: str, delay_seconds: float) -> None:
    """Give the message back to the queue, due again after `delay_seconds`."""
    _set(engine, item_id, status=PENDING, last_error=error[:1000],
         next_attempt_at=utcnow() + timedelta(seconds=delay_seconds))


def mark_failed(engine: Engine, item_id: int, error: str) -> None:
    """Give up on a message (it stays in the table for inspection)."""
    _set(engine, item_id, status=FAILED, last_error=error[:1000])


def _set(engine: Engine, item_id: int, **values: Any) -> None:
    with Session(engine) as session:
        session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == item_id).values(**values))
        session.commit()


def pending_count(engine: Engine, platform: str | None = None) -> int:
    """How many messages wait to be delivered."""
    with Session(engine) as session:
        query = select(OutboxMessage).where(col(OutboxMessage.status).in_((PENDING, SENDING)))
        if platform:
            query = query.where(OutboxMessage.platform == platform)
        return len(list(session.exec(query)))
