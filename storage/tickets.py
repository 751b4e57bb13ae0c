"""Tickets, their attachments and their append-only event history.

Anonymity is kept here, where events are written: an event by the citizen of an anonymous ticket is stored
without who wrote it (`actor` None), whatever the caller passes, so no view or export can show it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.clock import utcnow
from storage.models import Ticket, TicketAttachment, TicketEvent
from storage.statuses import OPEN_STATUSES, is_open
from storage.statuses import status as status_of

CITIZEN = "citizen"  # actor_kind of what the citizen did
CITIZEN_MESSAGE = "citizen_message"  # event kind: the citizen's answer or addition after filing


@dataclass(frozen=True, slots=True)
class NewTicket:
    """What the citizen gave when filing."""

    citizen_id: int
    category: str
    description: str
    due_at: datetime
    agency_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    phone: str | None = None
    anonymous: bool = False
    language: str = "vi"
    publish_location: bool = False  # the citizen agreed that open data shows the place, rounded


def ticket_code(prefix: str, year: int, number: int) -> str:
    """The public code of a ticket, e.g. `PA-2026-000123`."""
    return f"{prefix}-{year}-{number:06d}"


def create_ticket(session: Session, new: NewTicket, attachments: Iterable[dict], *, prefix: str,
                  actor: str) -> Ticket:
    """Insert a ticket with its attachments and its `created` event; returns it with its code."""
    now = utcnow()
    ticket = Ticket(code=f"tmp-{now.timestamp()}-{new.citizen_id}", created_at=now, updated_at=now,
                    **asdict(new))
    session.add(ticket)
    session.flush()
    ticket.code = ticket_code(prefix, now.year, ticket.id or 0)
    add_attachments(session, ticket, attachments)
    add_event(session, ticket, actor_kind=CITIZEN, actor=actor, kind="created", status_to=ticket.status)
    session.flush()
    return ticket


def add_attachments(session: Session, ticket: Ticket, attachments: Iterable[dict],
                    event: TicketEvent | None = None) -> int:
    """Store photos and files of the ticket (with the citizen's message `event` they came with); how many."""
    n = 0
    for a in attachments:
        session.add(TicketAttachment(ticket_id=ticket.id, event_id=event.id if event else None, kind=a["kind"],
                                     file_id=a["file_id"], file_name=a.get("file_name"),
                                     mime_type=a.get("mime_type"), size=a.get("size")))
        n += 1
    return n


def add_event(session: Session, ticket: Ticket, *, actor_kind: str, actor: str | None, kind: str,
              text: str | None = None, status_from: str | None = None, status_to: str | None = None,
              public: bool = True) -> TicketEvent:
    """Append one event to the ticket's history and touch its update time.

    The citizen of an anonymous ticket is never named in its history (see the module's docstring).
    """
    if actor_kind == CITIZEN and ticket.anonymous:
        actor = None
    ev = TicketEvent(ticket_id=ticket.id or 0, actor_kind=actor_kind, actor=actor, kind=kind, text=text,
                     status_from=status_from, status_to=status_to, public=public)
    session.add(ev)
    ticket.updated_at = utcnow()
    session.add(ticket)
    return ev


def change_status(session: Session, ticket: Ticket, status: str, *, actor: str | None, text: str | None = None,
                  kind: str = "status", actor_kind: str = "staff") -> TicketEvent:
    """Move the ticket to `status`, recording who did it (staff, or the citizen reopening) and why."""
    old = ticket.status
    ticket.status = status
    ticket.closed_at = None if is_open(status) else ticket.closed_at or utcnow()
    return add_event(session, ticket, actor_kind=actor_kind, actor=actor, kind=kind, text=text,
                     status_from=old, status_to=status)


def add_citizen_message(session: Session, ticket: Ticket, *, actor: str | None, text: str | None,
                        attachments: Iterable[dict] = (), location: str | None = None) -> TicketEvent:
    """The citizen's answer or addition to a ticket: one public event, its photos and files linked to it."""
    parts = [p for p in (text, location) if p]
    ev = add_event(session, ticket, actor_kind=CITIZEN, actor=actor, kind=CITIZEN_MESSAGE,
                   text="\n".join(parts) or None)
    session.flush()  # the event's id, for its attachments
    add_attachments(session, ticket, attachments, ev)
    return ev


def awaiting_answer(session: Session, citizen_id: int, since: datetime) -> Ticket | None:
    """The citizen's ticket whose office message since `since` the citizen has not answered yet, if any.

    The latest office message counts: an answer from the citizen after it (on that ticket) means nothing
    waits.
    """
    row = session.exec(
        select(TicketEvent, Ticket).join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(Ticket.citizen_id == citizen_id, TicketEvent.kind == "reply", TicketEvent.at >= since)
        .order_by(col(TicketEvent.id).desc()).limit(1)
    ).first()
    if row is None:
        return None
    office, ticket = row
    answered = session.exec(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.actor_kind == CITIZEN, col(TicketEvent.id) > office.id,
    )).one()
    return None if answered else ticket


def last_outcome(session: Session, ticket: Ticket) -> str | None:
    """The status the ticket last reached with an outcome (resolved, rejected), None when it never did."""
    for ev in reversed(ticket_events(session, ticket, public_only=False)):
        if ev.status_to and status_of(ev.status_to).outcome:
            return ev.status_to
        if ev.status_to and is_open(ev.status_to):
            return None
    return None


CODE_PATTERN = r"([A-Za-z]{1,5})-(\d{4})-(\d{1,6})"  # a ticket code as typed: the number's leading zeros optional
_LOOSE_CODE = re.compile(f"^{CODE_PATTERN}$")


def canonical_code(code: str) -> str:
    """A ticket code as stored: upper-case, its number written with six digits ("pa-2026-1" -> "PA-2026-000001")."""
    code = code.strip()
    match = _LOOSE_CODE.match(code)
    if match is None:
        return code.upper()
    prefix, year, number = match.groups()
    return f"{prefix.upper()}-{year}-{int(number):06d}"


def get_ticket(session: Session, code: str) -> Ticket | None:
    """The ticket with this code (case-insensitive, leading zeros of its number optional), if any."""
    return session.exec(select(Ticket).where(Ticket.code == canonical_code(code))).first()


def tickets_of_citizen(session: Session, citizen_id: int, limit: int = 10) -> list[Ticket]:
    """A citizen's own tickets, newest first."""
    return list(session.exec(
        select(Ticket).where(Ticket.citizen_id == citizen_id).order_by(col(Ticket.id).desc()).limit(limit)
    ))


def newest_ticket_since(session: Session, citizen_id: int, since: datetime) -> Ticket | None:
    """The citizen's newest ticket if it was filed at `since` or later."""
    return session.exec(select(Ticket).where(Ticket.citizen_id == citizen_id, Ticket.created_at >= since)
                        .order_by(col(Ticket.id).desc()).limit(1)).first()


def list_tickets(session: Session, which: str, *, staff_id: int | None = None, limit: int = 20) -> list[Ticket]:
    """Tickets for staff: `open`, `overdue`, `mine` (assigned to `staff_id`) or `all`, oldest due first."""
    query = select(Ticket)
    if which in ("open", "overdue", "mine"):
        query = query.where(col(Ticket.status).in_(OPEN_STATUSES))
    if which == "overdue":
        query = query.where(Ticket.due_at < utcnow())
    if which == "mine":
        query = query.where(Ticket.assignee_id == staff_id)
    order = col(Ticket.id).desc() if which == "all" else col(Ticket.due_at)
    return list(session.exec(query.order_by(order).limit(limit)))


def ticket_events(session: Session, ticket: Ticket, *, public_only: bool) -> list[TicketEvent]:
    """The ticket's history in order; `public_only` hides internal notes."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if public_only:
        query = query.where(TicketEvent.public == True)  # noqa: E712
    return list(session.exec(query.order_by(col(TicketEvent.id))))


def ticket_attachments(session: Session, ticket: Ticket) -> list[TicketAttachment]:
    """The ticket's photos and files."""
    return list(session.exec(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
                             .order_by(col(TicketAttachment.id))))
