"""One follow-up run: staff reminders before deadlines, apologies and escalations when overdue, survey
reminders, and the daily digest. Each is claimed in the database, so it is queued once across workers.

Work goes in pages of tickets, one transaction each: a page's rows are locked, and another worker skips
them (PostgreSQL's SKIP LOCKED), so two workers share a long queue instead of waiting on each other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from handlers.categories import category_label, staff_chat_of
from handlers.deadlines import is_working_day, working_days_before, working_days_between
from handlers.i18n import translate
from handlers.survey import next_question
from handlers.ticket_thread import office_buttons
from jobs.config import FollowupConfig
from jobs.digest import queue_digest
from jobs.queue import send, send_notices
from messaging.types import Outgoing
from storage.clock import VN_TZ, format_local, to_local, utcnow
from storage.db import session_scope
from storage.followups import FollowupKey, claim, claimed, open_tickets_due
from storage.models import Citizen, Ticket
from storage.surveys import mark_reminded, reminders_due
from storage.tickets import add_event

log = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 500
REMINDER, OVERDUE = "reminder", "overdue"
# How far ahead a reminder's deadline can be: the most working days before it, plus the longest run of days
# off (Tết: about nine), in calendar days.
LOOKAHEAD_SLACK_DAYS = 16


@dataclass(frozen=True, slots=True)
class FollowupRun:
    """What one run queued."""

    reminders: int = 0
    apologies: int = 0
    survey_reminders: int = 0
    digests: int = 0


def run_followups(engine: Engine, config: FollowupConfig, now: datetime | None = None) -> FollowupRun:
    """Queue every follow-up that is due at `now` (default: the clock) and not queued before."""
    now = now or utcnow()
    run = FollowupRun(reminders=_reminders(engine, config, now), apologies=_overdue(engine, config, now),
                      survey_reminders=_survey_reminders(engine, config, now),
                      digests=_digest(engine, config, now))
    if any((run.reminders, run.apologies, run.survey_reminders, run.digests)):
        log.info("Follow-up: %s", run)
    return run


def reminder_time(due: datetime, days_before: int, hour: int) -> datetime:
    """When the reminder `days_before` working days before a deadline goes out (at `hour`, Vietnam time)."""
    day = working_days_before(to_local(due).date(), days_before)
    return datetime.combine(day, time(hour), tzinfo=VN_TZ)


def _reminders(engine: Engine, config: FollowupConfig, now: datetime) -> int:
    steps = sorted(set(config.reminder_working_days), reverse=True)
    if not steps:
        return 0
    lang = config.default_language
    until = now + timedelta(days=steps[0] + LOOKAHEAD_SLACK_DAYS)
    queued, after = 0, 0
    while True:
        with session_scope(engine) as session:
            page = open_tickets_due(session, due_from=now, due_until=until, after_id=after, limit=PAGE,
                                    unless=(REMINDER, steps[-1]))
            if not page:
                return queued
            after = page[-1].id or 0
            done = claimed(session, REMINDER, [t.id or 0 for t in page])
            wanted: dict[int, list[FollowupKey]] = {}
            for ticket in page:
                keys = [FollowupKey(REMINDER, ticket.id or 0, ticket.due_at, step).normal() for step in steps
                        if reminder_time(ticket.due_at, step, config.reminder_hour) <= now]
                keys = [k for k in keys if k not in done]
                if keys:
                    wanted[ticket.id or 0] = keys
            won = claim(session, [k for keys in wanted.values() for k in keys])
            due = [t for t in page if any(k in won for k in wanted.get(t.id or 0, ()))]
            for chat, tickets in _by_staff_chat(config, due).items():
                send_notices(session, chat, [(t.code, _reminder_text(lang, t, now)) for t in tickets], lang=lang,
                             header_key="followup.reminders_header", kind="reminder")
            queued += len(due)


def _reminder_text(lang: str, ticket: Ticket, now: datetime) -> str:
    left = working_days_between(to_local(now).date(), to_local(ticket.due_at).date())
    values = {"code": ticket.code, "category": category_label(ticket.category, lang),
              "due": format_local(ticket.due_at, with_time=False), "left": left}
    return translate(lang, "followup.reminder_today" if left <= 0 else "followup.reminder", **values)


def _overdue(engine: Engine, config: FollowupConfig, now: datetime) -> int:
    lang = config.default_language
    queued, after = 0, 0
    while True:
        with session_scope(engine) as session:
            page = open_tickets_due(session, due_from=None, due_until=now, after_id=after, limit=PAGE,
                                    unless=(OVERDUE, 0))
            if not page:
                return queued
            after = page[-1].id or 0
            won = claim(session, [FollowupKey(OVERDUE, t.id or 0, t.due_at) for t in page])
            late = [t for t in page if FollowupKey(OVERDUE, t.id or 0, t.due_at).normal() in won]
            citizens = _by_id(session, Citizen, [t.citizen_id for t in late])
            for ticket in late:
                citizen = citizens.get(ticket.citizen_id)
                if citizen is not None and citizen.chat_id:
                    apology = translate(citizen.language, "followup.apology", code=ticket.code,
                                        office=config.office_name, due=format_local(ticket.due_at, with_time=False))
                    send(session, (citizen.platform, citizen.chat_id),
                         Outgoing(text=apology, ticket_code=ticket.code, kind="apology",
                                  buttons=office_buttons(citizen.language, ticket)))
                add_event(session, ticket, actor_kind="system", actor="followup", kind="overdue")
            values = {t.code: _values(lang, t) for t in late}
            for chat, tickets in _by_staff_chat(config, late).items():
                send_notices(session, chat,
                             [(t.code, translate(lang, "followup.overdue_staff", **values[t.code])) for t in tickets],
                             lang=lang, header_key="followup.overdue_header", kind="overdue")
            lead = config.lead_chat_address
            if lead is not None:
                send_notices(session, lead, [(code, translate(lang, "followup.escalation", **v))
                                             for code, v in values.items()],
                             lang=lang, header_key="followup.escalation_header", kind="escalation")
            queued += len(late)


def _survey_reminders(engine: Engine, config: FollowupConfig, now: datetime) -> int:
    sent_before = now - timedelta(days=config.survey_reminder_days)
    queued = 0
    while True:
        with session_scope(engine) as session:
            page = reminders_due(session, sent_before, limit=PAGE)
            if not page:
                return queued
            marked = mark_reminded(session, page)
            tickets = _by_id(session, Ticket, [v.ticket_id for v in page])
            citizens = _by_id(session, Citizen, [t.citizen_id for t in tickets.values()])
            for survey in page:
                ticket = tickets.get(survey.ticket_id)
                citizen = citizens.get(ticket.citizen_id) if ticket is not None else None
                if survey.id not in marked or ticket is None or citizen is None or not citizen.chat_id:
                    continue
                send(session, (citizen.platform, citizen.chat_id),
                     next_question(citizen.language, ticket, survey, again=True))
                queued += 1


def _values(lang: str, ticket: Ticket) -> dict[str, str]:
    """What a staff notice says of a ticket: its code, category and deadline."""
    return {"code": ticket.code, "category": category_label(ticket.category, lang),
            "due": format_local(ticket.due_at, with_time=False)}


def _by_staff_chat(config: FollowupConfig, tickets: list[Ticket]) -> dict[tuple[str, str], list[Ticket]]:
    """Tickets grouped by the staff chat of their category (where they were posted), in order."""
    chats: dict[tuple[str, str], list[Ticket]] = {}
    for ticket in tickets:
        chats.setdefault(staff_chat_of(ticket.category, config), []).append(ticket)
    return chats


def _by_id(session: Session, table: type[T], ids: list[int]) -> dict[int, T]:
    """Rows of `table` by id, read in one query."""
    rows = session.exec(select(table).where(col(table.id).in_(set(ids)))) if ids else []  # type: ignore[attr-defined]
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


def _digest(engine: Engine, config: FollowupConfig, now: datetime) -> int:
    local = to_local(now)
    if config.digest_hour is None or local.hour < config.digest_hour or not is_working_day(local.date()):
        return 0
    with session_scope(engine) as session:
        return queue_digest(session, config, local.date(), now)
