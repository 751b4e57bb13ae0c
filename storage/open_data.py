"""Queries for open data (Open311): tickets that may be published. Anonymous tickets never are."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Ticket
from storage.statuses import OPEN_STATUSES


def public_tickets(session: Session, *, start: datetime, end: datetime, service_codes: list[str] | None = None,
                   open_only: bool | None = None, limit: int = 1000) -> list[Ticket]:
    """Tickets filed in [start, end] that are not anonymous, newest first; `open_only` False: closed ones only."""
    query = select(Ticket).where(Ticket.anonymous == False, Ticket.created_at >= start,  # noqa: E712
                                 Ticket.created_at <= end)
    if service_codes:
        query = query.where(col(Ticket.category).in_(service_codes))
    if open_only is True:
        query = query.where(col(Ticket.status).in_(OPEN_STATUSES))
    elif open_only is False:
        query = query.where(col(Ticket.status).not_in(OPEN_STATUSES))
    return list(session.exec(query.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc()).limit(limit)))


def public_tickets_by_code(session: Session, codes: list[str]) -> list[Ticket]:
    """The non-anonymous tickets with these codes."""
    wanted = [c.strip().upper() for c in codes if c.strip()]
    return list(session.exec(select(Ticket).where(col(Ticket.code).in_(wanted), Ticket.anonymous == False)  # noqa: E712
                             .order_by(col(Ticket.id))))
