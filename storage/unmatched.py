"""Questions the procedure guide could not answer, with phone numbers, ids and e-mail addresses masked."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from storage.clock import utcnow
from storage.models import UnmatchedQuestion

PHONE_RE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
LONG_NUMBER_RE = re.compile(r"\d{6,}")  # citizen id (CCCD, 12 digits), file numbers, account numbers
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


ID_NUMBER_RE = re.compile(r"(?<!\d)(?:\d{9}|\d{12})(?!\d)")  # identity card numbers (CMND 9 digits, CCCD 12)


def mask_contact(text: str) -> str:
    """`text` with phone numbers, identity card numbers and e-mail addresses replaced by placeholders (what
    an anonymous ticket may not show staff); other numbers (amounts, house numbers) stay."""
    return ID_NUMBER_RE.sub("[…]", PHONE_RE.sub("[SĐT]", EMAIL_RE.sub("[email]", text)))


def mask_personal(text: str) -> str:
    """`text` with phone numbers, long numbers (ids) and e-mail addresses replaced by placeholders."""
    return LONG_NUMBER_RE.sub("[…]", PHONE_RE.sub("[SĐT]", EMAIL_RE.sub("[email]", text)))


def record_unmatched(session: Session, question: str, normalized: str) -> None:
    """Count one more asking of a question that found nothing (stored masked)."""
    key = mask_personal(normalized)[:500]
    row = session.exec(select(UnmatchedQuestion).where(UnmatchedQuestion.normalized == key)).first()
    if row is None:
        session.add(UnmatchedQuestion(normalized=key, question=mask_personal(question)[:2000]))
        return
    row.count += 1
    row.last_at = utcnow()
    session.add(row)


def top_unmatched(session: Session, limit: int = 20) -> list[tuple[str, int]]:
    """The most frequently unanswered questions, most frequent first (masked, also rows stored before masking)."""
    rows = session.exec(
        select(UnmatchedQuestion).order_by(col(UnmatchedQuestion.count).desc(),
                                           col(UnmatchedQuestion.last_at).desc()).limit(limit)
    )
    return [(mask_personal(r.question), r.count) for r in rows]
