"""Follow-up claims: each follow-up (a reminder, an apology, a digest) is sent once across workers.

A follow-up is claimed by inserting its key; the unique key lets one insert win, and the caller queues its
messages in the same transaction, so a follow-up is queued exactly once or, when the transaction fails,
not at all (and claimed again by the next run).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, exists
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import Followup, Ticket
from storage.statuses import OPEN_STATUSES

OFFICE = 0  # the ticket id of follow-ups about no ticket (the daily digest)


@dataclass(frozen=True, slots=True)
class FollowupKey:
    """What makes a follow-up one: its kind, its ticket, the deadline it is about, and its step."""

    kind: str
    ticket_id: int
    due_at: datetime
    step: int = 0

    def normal(self) -> FollowupKey:
        """The same key with its time in UTC, as the database returns it."""
        return FollowupKey(self.kind, self.ticket_id, self.due_at.astimezone(UTC), self.step)


def claim(session: Session, keys: Iterable[FollowupKey]) -> set[FollowupKey]:
    """Claim follow-ups in one statement; returns the keys this transaction won (not claimed before)."""
    rows = [{"kind": k.kind, "ticket_id": k.ticket_id, "due_at": k.due_at, "step": k.step, "claimed_at": utcnow()}
            for k in keys]
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Followup).values(rows)
    statement = insert.on_conflict_do_nothing(index_elements=["kind", "ticket_id", "due_at", "step"]).returning(
        Followup.kind, Followup.ticket_id, Followup.due_at, Followup.step)
    won = session.execute(statement).all()
    return {FollowupKey(kind, ticket_id, due, step).normal() for kind, ticket_id, due, step in won}


def claimed(session: Session, kind: str, ticket_ids: Iterable[int]) -> set[FollowupKey]:
    """The follow-ups of `kind` already claimed for these tickets."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    rows = session.exec(select(Followup.kind, Followup.ticket_id, Followup.due_at, Followup.step)
                        .where(Followup.kind == kind, col(Followup.ticket_id).in_(ids))).all()
    return {FollowupKey(*row).normal() for row in rows}


def open_tickets_due(session: Session, *, due_from: datetime | None, due_until: datetime, after_id: int,
                     limit: int, unless: tuple[str, int] | None = None) -> list[Ticket]:
    """Open tickets due in [due_from, due_until), with ids after `after_id`, in id order (a page).

    `unless=(kind, step)` leaves out tickets whose follow-up of that kind and step for their current
    deadline was claimed. The rows are locked for the transaction; rows another worker has locked are
    skipped (PostgreSQL), so two workers share the work.
    """
    query = select(Ticket).where(col(Ticket.status).in_(OPEN_STATUSES), Ticket.due_at < due_until,
                                 col(Ticket.id) > after_id)
    if due_from is not None:
        query = query.where(Ticket.due_at >= due_from)
    if unless is not None:
        kind, step = unless
        query = query.where(~exists().where(and_(
            Followup.kind == kind, Followup.ticket_id == Ticket.id, Followup.due_at == Ticket.due_at,
            Followup.step == step)))
    return list(session.exec(query.order_by(col(Ticket.id)).limit(limit).with_for_update(skip_locked=True,
                                                                                          of=Ticket)))


@dataclass(frozen=True, slots=True)
class OpenTickets:
    """Open tickets at a moment: how many, and the codes of those due today and overdue (soonest first)."""

    open: int
    due_today: list[str]
    overdue: list[str]


def open_ticket_summary(session: Session, now: datetime, day_end: datetime) -> OpenTickets:
    """Open tickets, those due between `now` and `day_end`, and those past due at `now`."""
    rows = session.exec(select(Ticket.code, Ticket.due_at).where(col(Ticket.status).in_(OPEN_STATUSES))
                        .order_by(col(Ticket.due_at))).all()
    return OpenTickets(open=len(rows), due_today=[c for c, due in rows if now <= due <= day_end],
                       overdue=[c for c, due in rows if due < now])
