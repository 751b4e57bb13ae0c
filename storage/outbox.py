"""The durable outbox: every outgoing message is a row, written first, claimed by a sender, marked when sent.

A row is `pending` (waiting to be claimed), `sending` (held by the sender process named in `owner` until its
lease, `next_attempt_at`, runs out; the sender renews it while the process lives), `sent`, `failed`
(permanently refused), or `waiting` (the messenger will take it only after the person writes again).

Rows are sent in the order of their ids within a chat; across chats, lower `priority` first. A sent mark is
never undone: a release or a retry only touches rows still `sending` under the same owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, exists, func, insert, or_, select, tuple_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from messaging.types import by_fields
from storage.clock import utcnow
from storage.models import OutboxMessage

PENDING, SENDING, SENT, FAILED, WAITING = "pending", "sending", "sent", "failed", "waiting"
UNSENT = (PENDING, SENDING, WAITING)
ANSWER, NOTICE, BULK = 0, 1, 2  # priorities: a direct answer, a message an update causes elsewhere, bulk

_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message for a sender, detached from any session.

    `id` None: the message could not be stored (the database was down) and lives in memory only.
    `claimed` False: it is stored but left for the sender that claims it in its chat's order.
    """

    __reduce__ = by_fields

    id: int | None
    platform: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int = 0
    priority: int = ANSWER
    thread_id: str | None = None
    claimed: bool = True


@dataclass(frozen=True, slots=True)
class Lease:
    """Who claims new messages at once (a sender process) for which platforms, and for how long."""

    __reduce__ = by_fields

    owner: str
    seconds: float
    platforms: frozenset[str]
    chat: str | None = None  # only messages to this chat (a console claims its own chat's messages only)

    def covers(self, platform: str, chat_id: str) -> bool:
        """Whether messages to this chat are claimed by the lease."""
        return platform in self.platforms and self.chat in (None, chat_id)


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to write."""

    platform: str
    chat_id: str
    payload: dict[str, Any]
    priority: int = ANSWER
    thread_id: str | None = None


def enqueue(session: Session, platform: str, chat_id: str, payload: dict[str, Any], priority: int = BULK,
            thread_id: str | None = None) -> OutboxMessage:
    """Write a message (a plain JSON payload) for a sender to claim, in the caller's transaction."""
    row = OutboxMessage(platform=platform, chat_id=str(chat_id), payload=payload, priority=priority,
                        thread_id=thread_id)
    session.add(row)
    return row


def add_messages(session: Session, messages: list[NewMessage], lease: Lease | None = None) -> list[OutboxItem]:
    """Write messages in the caller's transaction with one statement; return them in order.

    With a `lease`, the messages for its platforms are claimed by it at once (the sender already has
    them), except in a chat where older messages still wait under another owner or none: those wait
    their turn, and the older ones are moved up to the new messages' priority so the chat is not left
    behind bulk messages.
    """
    if not messages:
        return []
    now = utcnow()
    blocked: set[tuple[str, str]] = set()
    if lease is not None:
        mine = {(m.platform, m.chat_id) for m in messages if lease.covers(m.platform, m.chat_id)}
        blocked = chats_waiting_elsewhere(session, mine, lease.owner)
        if blocked:
            _move_up(session, blocked, min(m.priority for m in messages))
    rows, items = [], []
    for m in messages:
        claim = lease is not None and lease.covers(m.platform, m.chat_id) and (m.platform, m.chat_id) not in blocked
        rows.append({"platform": m.platform, "chat_id": m.chat_id, "thread_id": m.thread_id, "payload": m.payload,
                     "priority": m.priority, "status": SENDING if claim else PENDING,
                     "owner": lease.owner if claim and lease else None, "attempts": 1 if claim else 0,
                     "next_attempt_at": now + timedelta(seconds=lease.seconds) if claim and lease else now,
                     "created_at": now})
        items.append(claim)
    ids = [row[0] for row in session.connection().execute(_INSERT, rows)]
    return [OutboxItem(i, m.platform, m.chat_id, m.payload, 1 if claim else 0, m.priority, m.thread_id, claim)
            for i, m, claim in zip(ids, messages, items, strict=True)]


def chats_waiting_elsewhere(session: Session, chats: set[tuple[str, str]], owner: str) -> set[tuple[str, str]]:
    """The chats among `chats` that have unsent messages not held by `owner`."""
    if not chats:
        return set()
    query = (select(OutboxMessage.platform, OutboxMessage.chat_id).distinct()
             .where(tuple_(col(OutboxMessage.platform), col(OutboxMessage.chat_id)).in_(sorted(chats)),
                    col(OutboxMessage.status).in_(UNSENT),
                    or_(col(OutboxMessage.owner).is_(None), OutboxMessage.owner != owner)))
    return {(platform, chat) for platform, chat in session.connection().execute(query)}


def _move_up(session: Session, chats: set[tuple[str, str]], priority: int) -> None:
    session.connection().execute(
        update(OutboxMessage)
        .where(tuple_(col(OutboxMessage.platform), col(OutboxMessage.chat_id)).in_(sorted(chats)),
               col(OutboxMessage.status).in_(UNSENT), OutboxMessage.priority > priority)
        .values(priority=priority))


def claim_due(engine: Engine, platform: str, limit: int = 50, lease_seconds: float = 60.0,
              chat_id: str | None = None, owner: str | None = None) -> list[OutboxItem]:
    """Claim up to `limit` due messages of `platform` (and `chat_id`) for `owner`, most urgent first.

    A message is due when it is pending and its time has come, or when it is being sent by another owner
    whose lease ran out (that process died). A message is claimed only when nothing older of its chat is
    unsent, so each chat's messages go out in order.
    """
    now = utcnow()
    owner = owner or f"claim-{uuid.uuid4().hex[:12]}"
    older = aliased(OutboxMessage)
    with Session(engine) as session:
        query = (
            select(OutboxMessage.id)
            .where(OutboxMessage.platform == platform, OutboxMessage.next_attempt_at <= now,
                   or_(OutboxMessage.status == PENDING,
                       (OutboxMessage.status == SENDING)
                       & or_(col(OutboxMessage.owner).is_(None), OutboxMessage.owner != owner)),
                   ~exists().where(older.platform == OutboxMessage.platform, older.chat_id == OutboxMessage.chat_id,
                                   col(older.id) < col(OutboxMessage.id), col(older.status).in_(UNSENT)))
            .order_by(col(OutboxMessage.priority), col(OutboxMessage.id)).limit(limit)
        )
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=OutboxMessage)
        ids = list(session.execute(query).scalars())
        if not ids:
            return []
        rows = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status).in_((PENDING, SENDING)),
                   col(OutboxMessage.next_attempt_at) <= now)
            .values(status=SENDING, owner=owner, next_attempt_at=now + timedelta(seconds=lease_seconds),
                    attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id, OutboxMessage.platform, OutboxMessage.chat_id, OutboxMessage.payload,
                       OutboxMessage.attempts, OutboxMessage.priority, OutboxMessage.thread_id)
        ).all()
        session.commit()
    return sorted((OutboxItem(*row) for row in rows), key=lambda item: (item.priority, item.id or 0))


def mark_sent(engine: Engine, ids: Iterable[int]) -> None:
    """Record deliveries (those messages are never sent again, whoever holds them)."""
    ids = list(ids)
    if ids:
        _update(engine, (col(OutboxMessage.id).in_(ids), OutboxMessage.status != SENT),
                status=SENT, sent_at=utcnow(), last_error=None)


def release(engine: Engine, ids: Iterable[int], owner: str, delay_seconds: float = 0.0,
            error: str | None = None, count_attempt: bool = False) -> None:
    """Give messages held by `owner` back to the queue, due after `delay_seconds`."""
    ids = list(ids)
    if not ids:
        return
    values: dict[str, Any] = {"status": PENDING, "owner": None,
                              "next_attempt_at": utcnow() + timedelta(seconds=delay_seconds)}
    if error is not None:
        values["last_error"] = error[:1000]
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    _update(engine, _held(ids, owner), **values)


def mark_failed(engine: Engine, item_id: int, owner: str, error: str) -> None:
    """Give up on a message the messenger refused for good (it stays in the table for inspection)."""
    _update(engine, _held([item_id], owner), status=FAILED, owner=None, last_error=error[:1000])


def mark_waiting(engine: Engine, item_id: int, owner: str, error: str) -> None:
    """Keep a message until the person writes again (the messenger refuses it before that)."""
    _update(engine, _held([item_id], owner), status=WAITING, owner=None, last_error=error[:1000])


def wake_waiting(engine: Engine, platform: str, chat_id: str) -> int:
    """The person wrote: their waiting messages become due now. Returns how many."""
    with Session(engine) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.platform == platform, OutboxMessage.chat_id == chat_id,
                   OutboxMessage.status == WAITING)
            .values(status=PENDING, next_attempt_at=utcnow()))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def note_error(engine: Engine, item_id: int, error: str) -> None:
    """Record a failed attempt on a message its sender keeps retrying."""
    _update(engine, (OutboxMessage.id == item_id, OutboxMessage.status == SENDING),
            last_error=error[:1000], attempts=OutboxMessage.attempts + 1)


def holding_owners(engine: Engine) -> set[str]:
    """The owners that hold messages now (live senders, or dead ones whose leases have not run out)."""
    with Session(engine) as session:
        return set(session.execute(select(OutboxMessage.owner).where(OutboxMessage.status == SENDING)
                                   .distinct()).scalars()) - {None}


def release_owner(engine: Engine, owner: str) -> int:
    """Give back at once everything `owner` holds (a process known to be dead); returns how many."""
    with Session(engine) as session:
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.owner == owner, OutboxMessage.status == SENDING)
            .values(status=PENDING, owner=None, next_attempt_at=utcnow()))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def renew(engine: Engine, owner: str, lease_seconds: float) -> int:
    """Extend the lease of every message `owner` holds; returns how many it holds."""
    with Session(engine) as session:
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.owner == owner, OutboxMessage.status == SENDING)
            .values(next_attempt_at=utcnow() + timedelta(seconds=lease_seconds)))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def still_held(engine: Engine, ids: list[int], owner: str, lease_seconds: float) -> set[int]:
    """Those of `ids` that `owner` still holds (their lease renewed); the others were taken over or sent."""
    if not ids:
        return set()
    with Session(engine) as session:
        rows = session.execute(
            update(OutboxMessage).where(*_held(ids, owner))
            .values(next_attempt_at=utcnow() + timedelta(seconds=lease_seconds))
            .returning(OutboxMessage.id)).scalars().all()
        session.commit()
        return set(rows)


def pending_count(engine: Engine, platform: str | None = None) -> int:
    """How many messages wait to be delivered (not counting those waiting for the person to write)."""
    with Session(engine) as session:
        query = select(func.count()).select_from(OutboxMessage).where(
            col(OutboxMessage.status).in_((PENDING, SENDING)))
        if platform:
            query = query.where(OutboxMessage.platform == platform)
        return int(session.execute(query).scalar_one())


def status_counts(engine: Engine, platform: str | None = None) -> dict[str, int]:
    """How many messages are in each status."""
    with Session(engine) as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        if platform:
            query = query.where(OutboxMessage.platform == platform)
        return {status: int(n) for status, n in session.execute(query)}


def prune_sent(engine: Engine, before: datetime) -> int:
    """Delete messages sent before `before` (their texts need not be kept); returns how many."""
    with Session(engine) as session:
        result = session.execute(delete(OutboxMessage).where(OutboxMessage.status == SENT,
                                                             col(OutboxMessage.sent_at) < before))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _held(ids: list[int], owner: str) -> tuple[Any, ...]:
    return (col(OutboxMessage.id).in_(ids), OutboxMessage.status == SENDING, OutboxMessage.owner == owner)


def _update(engine: Engine, where: tuple[Any, ...], **values: Any) -> None:
    with Session(engine) as session:
        session.execute(update(OutboxMessage).where(*where).values(**values))
        session.commit()
