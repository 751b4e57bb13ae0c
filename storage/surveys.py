"""Satisfaction surveys: one per resolution of a ticket, answered once by the ticket's own citizen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import Survey, Ticket, TicketEvent
from storage.outcomes import HANDLED_STATUSES, starts_resolution

RESOLVED_ANSWERS = ("yes", "partly", "no")
SCORES = (1, 2, 3, 4, 5)  # SIPAS: very dissatisfied, dissatisfied, neutral, satisfied, very satisfied
SATISFIED_SCORES = (4, 5)
LEGACY_TO_SIPAS = {3: 5, 2: 4, 1: 2}  # the old three-level survey: very satisfied, satisfied, not satisfied


def resolution_round(session: Session, ticket: Ticket) -> int:
    """How many times the ticket was resolved so far (an open ticket becoming resolved or closed)."""
    changes = session.exec(select(TicketEvent.status_from, TicketEvent.status_to)
                           .where(TicketEvent.ticket_id == ticket.id, col(TicketEvent.status_to).is_not(None))
                           .order_by(col(TicketEvent.id))).all()
    return sum(starts_resolution(a, b) for a, b in changes)


def open_survey(session: Session, ticket: Ticket) -> Survey | None:
    """Create the survey of the ticket's latest resolution; None when it exists already (sent once).

    The insert is the claim: of two workers resolving the same ticket at once, one creates it.
    """
    if ticket.status not in HANDLED_STATUSES:
        return None
    number = resolution_round(session, ticket)
    if number == 0:
        return None
    values = {"ticket_id": ticket.id, "round": number, "citizen_id": ticket.citizen_id, "sent_at": utcnow()}
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Survey).values(values)
    created = session.execute(insert.on_conflict_do_nothing(index_elements=["ticket_id", "round"])
                              .returning(Survey.id)).first()
    return None if created is None else session.get(Survey, created[0])


def latest_survey(session: Session, ticket: Ticket) -> Survey | None:
    """The survey of the ticket's latest resolution, if one was sent."""
    return session.exec(select(Survey).where(Survey.ticket_id == ticket.id)
                        .order_by(col(Survey.round).desc()).limit(1)).first()


def get_survey(session: Session, ticket: Ticket, round_: int) -> Survey | None:
    """The survey of one resolution of a ticket."""
    return session.exec(select(Survey).where(Survey.ticket_id == ticket.id, Survey.round == round_)).first()


def awaiting_answer(session: Session, citizen_id: int, sent_since: datetime) -> tuple[Ticket, Survey] | None:
    """The citizen's latest survey sent since `sent_since` that still waits for its level, with its ticket."""
    row = session.exec(
        select(Ticket, Survey).join(Survey, col(Survey.ticket_id) == col(Ticket.id))
        .where(Survey.citizen_id == citizen_id, col(Survey.score).is_(None), Survey.sent_at >= sent_since,
               col(Ticket.status).in_(HANDLED_STATUSES))
        .order_by(col(Survey.sent_at).desc()).limit(1)
    ).first()
    if row is None:
        return None
    ticket, survey = row
    return (ticket, survey) if survey.id == (latest_survey(session, ticket) or survey).id else None


def change_resolved(session: Session, survey: Survey, answer: str) -> bool:
    """Store or correct "was it solved?" while the level is not given yet; False once it is."""
    assert answer in RESOLVED_ANSWERS
    return _set_while_unset(session, survey, "score", resolved=answer)


def record_score(session: Session, survey: Survey, score: int) -> bool:
    """Store the satisfaction level once; False when the survey was answered before."""
    assert score in SCORES
    return _set_while_unset(session, survey, "score", score=score, answered_at=utcnow())


def _set_while_unset(session: Session, survey: Survey, unset: str, **values: object) -> bool:
    """Write `values` in one statement while the field `unset` is still empty; False when it is not."""
    result = session.execute(
        update(Survey).where(col(Survey.id) == survey.id, col(getattr(Survey, unset)).is_(None))
        .values(values).execution_options(synchronize_session=False))
    session.refresh(survey)
    return result.rowcount == 1  # type: ignore[attr-defined]


def add_comment(session: Session, survey: Survey, comment: str) -> None:
    """Attach the citizen's comment to their answer (a second comment is added to the first)."""
    survey.comment = f"{survey.comment}\n{comment}" if survey.comment else comment
    session.add(survey)


def mark_reopened(session: Session, survey: Survey) -> bool:
    """Record that the citizen asked to reopen the ticket from this survey; False when they did already."""
    return _set_while_unset(session, survey, "reopened_at", reopened_at=utcnow())


def reminders_due(session: Session, sent_before: datetime, limit: int = 500) -> list[Survey]:
    """Unanswered surveys sent before `sent_before`, never reminded, of tickets still resolved, oldest first.

    Only a ticket's latest survey counts; rows are locked for this transaction and rows another worker has
    locked are skipped (PostgreSQL).
    """
    query = (select(Survey).join(Ticket, col(Ticket.id) == Survey.ticket_id)
             .where(col(Survey.score).is_(None), col(Survey.reminded_at).is_(None), Survey.sent_at < sent_before,
                    col(Ticket.status).in_(HANDLED_STATUSES), Survey.round == _latest_round())
             .order_by(col(Survey.id)).limit(limit).with_for_update(skip_locked=True, of=Survey))
    return list(session.exec(query))


def _latest_round() -> ScalarSelect[int]:
    """The latest round of the outer query's ticket."""
    other = aliased(Survey)
    return select(func.max(other.round)).where(other.ticket_id == Ticket.id).scalar_subquery()


def mark_reminded(session: Session, surveys: list[Survey]) -> set[int]:
    """Set the reminder mark of these surveys in one statement; the ids this transaction marked (not marked before)."""
    if not surveys:
        return set()
    rows = session.execute(
        update(Survey).where(col(Survey.id).in_([v.id for v in surveys]), col(Survey.reminded_at).is_(None))
        .values(reminded_at=utcnow()).returning(Survey.id).execution_options(synchronize_session=False)).all()
    return {row[0] for row in rows}


def unanswered_count(session: Session, sent_since: datetime) -> int:
    """Latest surveys sent since `sent_since` and not answered yet."""
    return int(session.exec(select(func.count()).select_from(Survey).join(Ticket, col(Ticket.id) == Survey.ticket_id)
                            .where(col(Survey.score).is_(None), Survey.sent_at >= sent_since,
                                   col(Ticket.status).in_(HANDLED_STATUSES), Survey.round == _latest_round())).one())
