"""New expected dates given to tickets (`/extend`): the ticket's deadline moves, the first one is kept."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import DueDateChange, Ticket


def change_due_date(session: Session, ticket: Ticket, new_due: datetime, reason: str, actor: str) -> DueDateChange:
    """Move the ticket's deadline to `new_due`, recording the old one and the reason."""
    change = DueDateChange(ticket_id=ticket.id or 0, old_due_at=ticket.due_at, new_due_at=new_due, reason=reason,
                           actor=actor)
    ticket.due_at = new_due
    session.add(change)
    session.add(ticket)
    return change


def first_due_dates(session: Session, ticket_ids: list[int] | None = None) -> dict[int, datetime]:
    """The deadline each extended ticket had before its first new date (tickets never extended are left out)."""
    query = select(DueDateChange.ticket_id, DueDateChange.old_due_at).order_by(col(DueDateChange.id).desc())
    if ticket_ids is not None:
        query = query.where(col(DueDateChange.ticket_id).in_(ticket_ids))
    return dict(session.exec(query).all())  # later rows first, so the first change wins
