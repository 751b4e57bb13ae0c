"""The satisfaction report: `/report [days]` for staff, `feedback-bot report` for managers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from handlers.config import HandlerSettings
from handlers.i18n import translate
from storage.clock import format_local, utcnow
from storage.followups import report

DEFAULT_DAYS = 30


def report_text(session: Session, settings: HandlerSettings, lang: str, days: int = DEFAULT_DAYS) -> str:
    """Tickets and satisfaction for the last `days` days, as text."""
    since = utcnow() - timedelta(days=days)
    figures = report(session, since)
    share = figures.satisfied_share
    rate = translate(lang, "report.no_answers") if share is None else f"{share * 100:.1f}%"
    return translate(lang, "report.text", days=days, since=format_local(since, with_time=False),
                     received=figures.received, done=figures.done, on_time=figures.done_on_time,
                     overdue=figures.overdue_open, answers=figures.answers, rate=rate,
                     target=settings.satisfaction_target_percent,
                     s3=figures.answers_by_score.get(3, 0), s2=figures.answers_by_score.get(2, 0),
                     s1=figures.answers_by_score.get(1, 0))


def parse_days(args: str) -> int | None:
    """The period in days from command arguments (default 30), None when it is not a positive number."""
    word = args.split()[0] if args.split() else str(DEFAULT_DAYS)
    return int(word) if word.isdigit() and 0 < int(word) <= 3660 else None
