"""Timed follow-up, run by the scheduler: remind staff before a deadline, apologise once it has passed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from handlers.categories import category_label
from handlers.config import HandlerSettings
from handlers.i18n import translate
from messaging.types import Outgoing
from storage import outbox
from storage.clock import format_local, utcnow
from storage.db import session_scope
from storage.followups import due_before, set_mark
from storage.models import Citizen
from storage.tickets import add_event

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FollowupRun:
    """What one run did."""

    reminders: int
    apologies: int


def run_followups(engine: Engine, settings: HandlerSettings, now: datetime | None = None) -> FollowupRun:
    """Queue reminders and apologies that are due; each is sent once, even with several workers."""
    now = now or utcnow()
    lang = settings.default_language
    staff_platform, staff_chat = settings.staff_chat_address
    reminders = apologies = 0
    with session_scope(engine) as session:
        for ticket in due_before(session, now + timedelta(hours=settings.reminder_hours_before_due),
                                 unmarked="reminded_at"):
            if ticket.due_at < now or not set_mark(session, ticket, "reminded_at"):
                continue
            text = translate(lang, "followup.reminder", code=ticket.code, due=format_local(ticket.due_at),
                             category=category_label(ticket.category, lang))
            outbox.enqueue(session, staff_platform, staff_chat, Outgoing(text=text, ticket_code=ticket.code).to_dict())
            reminders += 1
        for ticket in due_before(session, now, unmarked="apologized_at"):
            if not set_mark(session, ticket, "apologized_at"):
                continue
            citizen = session.get(Citizen, ticket.citizen_id)
            if citizen is not None:
                apology = translate(citizen.language, "followup.apology", code=ticket.code,
                                    due=format_local(ticket.due_at, with_time=False))
                outbox.enqueue(session, citizen.platform, citizen.chat_id, Outgoing(text=apology,
                                                                                    ticket_code=ticket.code).to_dict())
            add_event(session, ticket, actor_kind="system", actor="followup", kind="overdue")
            text = translate(lang, "followup.overdue_staff", code=ticket.code, due=format_local(ticket.due_at),
                             category=category_label(ticket.category, lang))
            outbox.enqueue(session, staff_platform, staff_chat, Outgoing(text=text, ticket_code=ticket.code).to_dict())
            apologies += 1
    if reminders or apologies:
        log.info("Follow-up: %d reminders, %d apologies queued", reminders, apologies)
    return FollowupRun(reminders, apologies)
