"""One row of facts per ticket, read once from storage: what every report, chart and export counts.

No facts carry a citizen's identity (name, phone, messenger id) or the texts they wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from handlers.deadlines import working_days_between
from storage.clock import to_local
from storage.due_dates import first_due_dates
from storage.models import Survey, Ticket, TicketEvent
from storage.outcomes import HANDLED, REJECTED, REJECTED_STATUSES, is_open, outcome
from storage.surveys import SATISFIED_SCORES

CHUNK = 900  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class Answer:
    """A citizen's survey answer (the latest of its ticket)."""

    score: int
    resolved: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What reports know about one ticket."""

    id: int
    code: str
    category: str
    agency_id: str | None
    status: str
    anonymous: bool
    created_at: datetime
    due_at: datetime
    first_due_at: datetime
    outcome: str | None
    closed_at: datetime | None
    answer: Answer | None

    @property
    def handled(self) -> bool:
        """Resolved or closed, and not rejected."""
        return self.outcome == HANDLED

    @property
    def rejected(self) -> bool:
        """Rejected (never counted as resolved)."""
        return self.outcome == REJECTED

    @property
    def on_time(self) -> bool | None:
        """Closed by its first deadline (a new date given later does not make it on time); None while open."""
        return None if self.closed_at is None else self.closed_at <= self.first_due_at

    @property
    def working_days(self) -> int | None:
        """Working days from filing to closing; None while open."""
        if self.closed_at is None:
            return None
        return working_days_between(to_local(self.created_at).date(), to_local(self.closed_at).date())

    def open_at(self, moment: datetime) -> bool:
        """Whether the ticket was filed and not yet closed at `moment`."""
        return self.created_at <= moment and (self.closed_at is None or self.closed_at > moment)

    @property
    def satisfied(self) -> bool | None:
        """Whether the latest answer is "Hài lòng" or "Rất hài lòng"; None without an answer."""
        return None if self.answer is None else self.answer.score in SATISFIED_SCORES


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def load_facts(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> list[TicketFacts]:
    """Facts of the tickets that matter for [since, until): filed in it, closed in it, or open during it."""
    query = select(Ticket).order_by(col(Ticket.id))
    if until is not None:
        query = query.where(Ticket.created_at < until)
    if since is not None:
        query = query.where(or_(Ticket.created_at >= since, col(Ticket.closed_at).is_(None), Ticket.closed_at >= since,
                                col(Ticket.id).in_(select(Survey.ticket_id).where(Survey.answered_at >= since))))
    tickets = list(session.exec(query))
    ids = [t.id or 0 for t in tickets]
    changes: dict[int, list[tuple[datetime, str | None]]] = {}
    answers: dict[int, tuple[int, Answer]] = {}
    firsts: dict[int, datetime] = {}
    for chunk in _chunks(ids):
        for ticket_id, at, status in session.exec(
                select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.status_to)
                .where(col(TicketEvent.ticket_id).in_(chunk), col(TicketEvent.status_to).is_not(None))
                .order_by(col(TicketEvent.id))):
            changes.setdefault(ticket_id, []).append((at, status))
        for survey in session.exec(select(Survey).where(col(Survey.ticket_id).in_(chunk),
                                                       col(Survey.score).is_not(None))):
            kept = answers.get(survey.ticket_id)
            if kept is None or survey.round > kept[0]:
                answers[survey.ticket_id] = (survey.round, Answer(survey.score or 0, survey.resolved,
                                                                  survey.answered_at or survey.sent_at))
        firsts.update(first_due_dates(session, chunk))
    facts = []
    for t in tickets:
        result, when = outcome(changes.get(t.id or 0, []))
        if result is None and not is_open(t.status):  # closed without a recorded change (imported data)
            result, when = (REJECTED if t.status in REJECTED_STATUSES else HANDLED), t.closed_at or t.updated_at
        answer = answers.get(t.id or 0)
        facts.append(TicketFacts(id=t.id or 0, code=t.code, category=t.category, agency_id=t.agency_id,
                                 status=t.status, anonymous=t.anonymous, created_at=t.created_at, due_at=t.due_at,
                                 first_due_at=firsts.get(t.id or 0, t.due_at), outcome=result, closed_at=when,
                                 answer=answer[1] if answer else None))
    return facts
