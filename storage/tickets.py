"""Tickets, their attachments and their append-only event history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import Ticket, TicketAttachment, TicketEvent
from storage.statuses import OPEN_STATUSES, is_open


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
    for a in attachments:
        session.add(TicketAttachment(ticket_id=ticket.id, kind=a["kind"], file_id=a["file_id"],
                                     file_name=a.get("file_name"), mime_type=a.get("mime_type"),
                                     size=a.get("size")))
    add_event(session, ticket, actor_kind="citizen", actor=actor, kind="created", status_to=ticket.status)
    session.flush()
    return ticket


def add_event(session: Session, ticket: Ticket, *, actor_kind: str, actor: str | None, kind: str,
              text: str | None = None, status_from: str | None = None, status_to: str | None = None,
              public: bool = True) -> TicketEvent:
    """Append one event to the ticket's history and touch its update time."""
    ev = TicketEvent(ticket_id=ticket.id or 0, actor_kind=actor_kind, actor=actor, kind=kind, text=text,
                     status_from=status_from, status_to=status_to, public=public)
    session.add(ev)
    ticket.updated_at = utcnow()
    session.add(ticket)
    return ev


def change_status(session: Session, ticket: Ticket, status: str, *, actor: str, text: str | None = None,
                  kind: str = "status") -> TicketEvent:
    """Move the ticket to `status`, recording who did it and why."""
    old = ticket.status
    ticket.status = status
    ticket.closed_at = None if is_open(status) else ticket.closed_at or utcnow()
    return add_event(session, ticket, actor_kind="staff", actor=actor, kind=kind, text=text,
                     status_from=old, status_to=status)


def get_ticket(session: Session, code: str) -> Ticket | None:
    """The ticket with this code (case-insensitive), if any."""
    return session.exec(select(Ticket).where(Ticket.code == code.strip().upper())).first()


def tickets_of_citizen(session: Session, citizen_id: int, limit: int = 10) -> list[Ticket]:
    """A citizen's own tickets, newest first."""
    return list(session.exec(
        select(Ticket).where(Ticket.citizen_id == citizen_id).order_by(col(Ticket.id).desc()).limit(limit)
    ))


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
