"""Questions the procedure guide could not answer."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import UnmatchedQuestion


def record_unmatched(session: Session, question: str, normalized: str) -> None:
    """Count one more asking of a question that found nothing."""
    key = normalized[:500]
    row = session.exec(select(UnmatchedQuestion).where(UnmatchedQuestion.normalized == key)).first()
    if row is None:
        session.add(UnmatchedQuestion(normalized=key, question=question[:2000]))
        return
    row.count += 1
    row.last_at = utcnow()
    session.add(row)


def top_unmatched(session: Session, limit: int = 20) -> list[tuple[str, int]]:
    """The most frequently unanswered questions, most frequent first."""
    rows = session.exec(
        select(UnmatchedQuestion).order_by(col(UnmatchedQuestion.count).desc(),
                                           col(UnmatchedQuestion.last_at).desc()).limit(limit)
    )
    return [(r.question, r.count) for r in rows]
