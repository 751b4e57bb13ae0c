"""A citizen's data rights (Law 91/2025/QH15): what is stored about them, and erasing it.

Erasing keeps the tickets for the office's statistics, made anonymous: the category, agency, dates, status
and survey scores stay; the descriptions, photos and files, addresses, locations, phone numbers, names and
the citizen's own words in the history go, and the tickets no longer lead to the person's account. Ticket
events are append-only, except for this erasure: their texts are blanked with a plain UPDATE (the ORM's
append-only guard is for ordinary changes), and the erasure itself is recorded as an event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from storage.clock import utcnow
from storage.models import (
    Citizen,
    ConsentRecord,
    Conversation,
    OutboxMessage,
    SecurityEvent,
    Survey,
    Ticket,
    TicketAttachment,
    TicketEvent,
)
from storage.tickets import add_event


@dataclass
class StoredData:
    """What the bot keeps about one citizen."""

    citizen: Citizen
    tickets: list[Ticket]
    attachments: int
    surveys: int
    survey_comments: int
    draft: bool
    queued: int
    consents: list[ConsentRecord] = field(default_factory=list)


def stored_data(session: Session, citizen: Citizen) -> StoredData:
    """Everything stored about `citizen`, for /mydata."""
    tickets = list(session.scalars(select(Ticket).where(Ticket.citizen_id == citizen.id)
                                   .order_by(col(Ticket.created_at))))
    ids = [t.id for t in tickets]
    attachments = session.scalar(select(func.count()).select_from(TicketAttachment)
                                 .where(col(TicketAttachment.ticket_id).in_(ids))) if ids else 0
    surveys = session.scalar(select(func.count()).select_from(Survey).where(
        Survey.citizen_id == citizen.id, col(Survey.answered_at).is_not(None))) or 0
    comments = session.scalar(select(func.count()).select_from(Survey)
                              .where(Survey.citizen_id == citizen.id, col(Survey.comment).is_not(None)))
    conversation = session.get(Conversation, (citizen.platform, citizen.user_id))
    queued = session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.platform == citizen.platform, OutboxMessage.chat_id == citizen.chat_id,
        col(OutboxMessage.status).in_(("pending", "sending", "waiting")))) or 0
    consents = list(session.scalars(select(ConsentRecord).where(ConsentRecord.citizen_id == citizen.id)
                                    .order_by(col(ConsentRecord.at))))
    return StoredData(citizen, tickets, int(attachments or 0), int(surveys), int(comments or 0),
                      bool(conversation and (conversation.data or conversation.state)), int(queued), consents)


@dataclass(frozen=True)
class Erased:
    """What an erasure did."""

    tickets: int
    attachments: int
    messages: int
    kept_account: bool  # the account id stays because the citizen is banned for abuse


def erase_citizen(session: Session, citizen: Citizen, marker: str, actor: str) -> Erased:
    """Erase the citizen's contact details, names and texts; keep their tickets, anonymous (see the module)."""
    tickets = list(session.scalars(select(Ticket).where(Ticket.citizen_id == citizen.id)))
    ids = [t.id for t in tickets if t.id is not None]
    attachments = 0
    if ids:
        attachments = session.execute(delete(TicketAttachment).where(
            col(TicketAttachment.ticket_id).in_(ids))).rowcount or 0  # type: ignore[attr-defined]
        session.execute(update(TicketEvent).where(col(TicketEvent.ticket_id).in_(ids),
                                                  TicketEvent.actor_kind == "citizen")
                        .values(text=None, actor=None))
        session.execute(update(Survey).where(Survey.citizen_id == citizen.id).values(comment=None))
    for ticket in tickets:
        ticket.description = marker
        ticket.phone = ticket.address = None
        ticket.latitude = ticket.longitude = None
        ticket.anonymous = True
        ticket.publish_location = False
        add_event(session, ticket, actor_kind="system", actor=actor, kind="erased", public=False)
    messages = session.execute(delete(OutboxMessage).where(
        OutboxMessage.platform == citizen.platform, OutboxMessage.chat_id == citizen.chat_id)).rowcount or 0  # type: ignore[attr-defined]
    session.execute(update(SecurityEvent).where(SecurityEvent.platform == citizen.platform,
                                                SecurityEvent.user_id == citizen.user_id).values(detail=None))
    session.add(ConsentRecord(citizen_id=citizen.id or 0, given=False,
                              notice_version=citizen.consent_version or "-", at=utcnow()))
    citizen.display_name = citizen.username = citizen.phone = None
    citizen.consent_at = None
    citizen.consent_version = None
    kept = citizen.banned
    if not kept:  # the tickets no longer lead to the account: a new contact starts afresh
        anonymous = f"forgotten-{uuid.uuid4().hex[:16]}"
        session.execute(update(SecurityEvent).where(SecurityEvent.platform == citizen.platform,
                                                    SecurityEvent.user_id == citizen.user_id)
                        .values(user_id=anonymous))
        citizen.user_id = citizen.chat_id = anonymous
        citizen.unreachable_at = utcnow()
    session.add(citizen)
    session.flush()
    return Erased(len(tickets), int(attachments), int(messages), kept)
