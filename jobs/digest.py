"""The daily digest to the staff chat: open tickets, due today, overdue, surveys not answered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from handlers.deadlines import end_of_day
from handlers.i18n import translate
from jobs.config import FollowupConfig
from jobs.queue import send
from messaging.types import Outgoing
from storage.clock import VN_TZ
from storage.followups import OFFICE, FollowupKey, claim, open_ticket_summary
from storage.surveys import unanswered_count

DIGEST = "digest"
LISTED_CODES = 10
UNANSWERED_DAYS = 30


def digest_text(session: Session, lang: str, day: date, now: datetime) -> str:
    """The digest of `day` as of `now`."""
    summary = open_ticket_summary(session, now, end_of_day(day))
    unanswered = unanswered_count(session, now - timedelta(days=UNANSWERED_DAYS))
    return translate(lang, "digest.text", day=day.strftime("%d/%m/%Y"), open=summary.open,
                     due_today=len(summary.due_today), due_codes=_codes(summary.due_today),
                     overdue=len(summary.overdue), overdue_codes=_codes(summary.overdue), unanswered=unanswered)


def _codes(codes: list[str]) -> str:
    if not codes:
        return ""
    shown = ", ".join(codes[:LISTED_CODES])
    return f" ({shown}{', …' if len(codes) > LISTED_CODES else ''})"


def queue_digest(session: Session, config: FollowupConfig, day: date, now: datetime) -> int:
    """Queue the digest of `day` once (1), or nothing when it was queued already (0)."""
    start = datetime.combine(day, time(0), tzinfo=VN_TZ)
    if not claim(session, [FollowupKey(DIGEST, OFFICE, start)]):
        return 0
    text = digest_text(session, config.default_language, day, now)
    send(session, config.staff_chat_address, Outgoing(text=text, kind="digest"))
    return 1
