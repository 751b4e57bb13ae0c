"""Queries and marks for follow-ups: reminders before the deadline, apologies after it, surveys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import SurveyAnswer, Ticket
from storage.tickets import OPEN_STATUSES

MARKS = ("reminded_at", "apologized_at", "survey_sent_at")


def due_before(session: Session, moment: datetime, *, unmarked: str) -> list[Ticket]:
    """Open tickets due before `moment` whose follow-up mark `unmarked` is not set yet."""
    mark = getattr(Ticket, unmarked)
    return list(session.exec(
        select(Ticket).where(col(Ticket.status).in_(OPEN_STATUSES), Ticket.due_at < moment, col(mark).is_(None))
        .order_by(col(Ticket.due_at))
    ))


def set_mark(session: Session, ticket: Ticket, mark: str) -> bool:
    """Set a follow-up mark once; False when another worker (or an earlier run) already set it."""
    assert mark in MARKS
    result = session.execute(
        update(Ticket).where(col(Ticket.id) == ticket.id, col(getattr(Ticket, mark)).is_(None))
        .values({mark: utcnow()}).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_survey_answer(session: Session, ticket: Ticket, score: int) -> bool:
    """Store the citizen's answer for a ticket; False when the ticket was already rated."""
    existing = session.exec(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id)).first()
    if existing is not None:
        return False
    session.add(SurveyAnswer(ticket_id=ticket.id or 0, citizen_id=ticket.citizen_id, score=score))
    session.flush()
    return True


def add_survey_comment(session: Session, ticket: Ticket, comment: str) -> None:
    """Attach the citizen's comment to their answer."""
    answer = session.exec(select(SurveyAnswer).where(SurveyAnswer.ticket_id == ticket.id)).first()
    if answer is not None:
        answer.comment = comment
        session.add(answer)


@dataclass(frozen=True, slots=True)
class Report:
    """Figures for a period: tickets and the satisfaction index."""

    received: int
    done: int
    done_on_time: int
    overdue_open: int
    answers_by_score: dict[int, int]

    @property
    def answers(self) -> int:
        """How many surveys were answered."""
        return sum(self.answers_by_score.values())

    @property
    def satisfied_share(self) -> float | None:
        """Share of answers that are satisfied or very satisfied (score ≥ 2), None without answers."""
        if not self.answers:
            return None
        return sum(n for score, n in self.answers_by_score.items() if score >= 2) / self.answers


def report(session: Session, since: datetime, now: datetime | None = None) -> Report:
    """Tickets received and closed since `since`, open overdue now, and survey answers since `since`."""
    now = now or utcnow()
    received = session.exec(select(func.count()).select_from(Ticket).where(Ticket.created_at >= since)).one()
    closed = select(func.count()).select_from(Ticket).where(col(Ticket.closed_at).is_not(None),
                                                            Ticket.closed_at >= since)
    done = session.exec(closed).one()
    on_time = session.exec(closed.where(col(Ticket.closed_at) <= col(Ticket.due_at))).one()
    overdue = session.exec(select(func.count()).select_from(Ticket).where(
        col(Ticket.status).in_(OPEN_STATUSES), Ticket.due_at < now)).one()
    by_score = dict(session.exec(
        select(SurveyAnswer.score, func.count()).where(SurveyAnswer.at >= since).group_by(SurveyAnswer.score)
    ).all())
    return Report(received=int(received), done=int(done), done_on_time=int(on_time),
                  overdue_open=int(overdue), answers_by_score={int(k): int(v) for k, v in by_score.items()})
