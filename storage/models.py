"""Database tables. Every change to a ticket is a `TicketEvent`; events are never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, SmallInteger, Text, UniqueConstraint, event, text
from sqlmodel import Field, SQLModel

from storage.clock import utcnow


class Citizen(SQLModel, table=True):
    """A person who wrote to the bot on one platform."""

    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_citizen_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    display_name: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=255)
    language: str = Field(default="vi", max_length=8)
    consent_at: datetime | None = None
    consent_version: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    banned: bool = False
    ban_reason: str | None = Field(default=None, max_length=500)
    unreachable_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """Where a user is in a conversation, kept in the database so restarts lose nothing."""

    platform: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(primary_key=True, max_length=64)
    state: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class StaffMember(SQLModel, table=True):
    """A member of the office's staff (admins may manage the staff list)."""

    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_staff_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=255)
    is_admin: bool = False
    active: bool = True
    added_by: str | None = Field(default=None, max_length=100)
    added_at: datetime = Field(default_factory=utcnow)


class Ticket(SQLModel, table=True):
    """A complaint, petition, suggestion or question filed by a citizen."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    category: str = Field(max_length=64)
    agency_id: str | None = Field(default=None, max_length=64)
    description: str = Field(sa_column=Column(Text, nullable=False))
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=32)
    anonymous: bool = False
    status: str = Field(default="received", max_length=32, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="staffmember.id")
    language: str = Field(default="vi", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    closed_at: datetime | None = None
    publish_location: bool = False  # the citizen agreed that open data (Open311) shows the place, rounded


class TicketAttachment(SQLModel, table=True):
    """A photo or file the citizen attached, kept as the messenger's file id.

    `event_id` is the citizen's message it came with when it was added after filing (None: with the ticket).
    """

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="ticketevent.id")
    kind: str = Field(max_length=16)
    file_id: str = Field(max_length=512)
    file_name: str | None = Field(default=None, max_length=255)
    mime_type: str | None = Field(default=None, max_length=100)
    size: int | None = None


class TicketEvent(SQLModel, table=True):
    """One change to a ticket: who, when, what. Append-only."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    actor_kind: str = Field(max_length=16)
    actor: str | None = Field(default=None, max_length=255)
    kind: str = Field(max_length=32)
    status_from: str | None = Field(default=None, max_length=32)
    status_to: str | None = Field(default=None, max_length=32)
    text: str | None = Field(default=None, sa_column=Column(Text))
    public: bool = True


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _events_are_append_only(mapper: Any, connection: Any, target: TicketEvent) -> None:
    raise PermissionError("Ticket events are an audit trail and are never rewritten")


class ReplyTemplate(SQLModel, table=True):
    """A canned answer staff send with `/reply CODE #name`, kept by admins with `/templates`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_by: str | None = Field(default=None, max_length=255)
    updated_at: datetime = Field(default_factory=utcnow)


class Survey(SQLModel, table=True):
    """The satisfaction survey of one resolution of a ticket: when it was sent and reminded, and the answer.

    `round` counts resolutions (a ticket reopened and resolved again is asked again). `resolved` is the
    answer to "was the problem solved?" (yes, partly, no); `score` the SIPAS level, 1 (very dissatisfied)
    to 5 (very satisfied). Answers of the old three-level survey keep their level in `legacy_score`.
    """

    __table_args__ = (UniqueConstraint("ticket_id", "round", name="uq_survey_ticket_round"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    round: int = 1
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", index=True)
    sent_at: datetime = Field(default_factory=utcnow)
    reminded_at: datetime | None = None
    resolved: str | None = Field(default=None, max_length=8)
    score: int | None = None
    comment: str | None = Field(default=None, sa_column=Column(Text))
    answered_at: datetime | None = Field(default=None, index=True)
    reopened_at: datetime | None = None
    legacy_score: int | None = None


class Followup(SQLModel, table=True):
    """A follow-up that was sent: its unique key makes each one happen once, whichever worker claims it.

    `kind` is what was sent (reminder, overdue, digest); `ticket_id` its ticket (0 for office-wide ones such
    as the digest); `due_at` the deadline it is about (the digest's day for the digest); `step` which of
    several for the same deadline (working days before it, for reminders).
    """

    __table_args__ = (UniqueConstraint("kind", "ticket_id", "due_at", "step", name="uq_followup_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ticket_id: int = Field(index=True)
    due_at: datetime
    step: int = 0
    claimed_at: datetime = Field(default_factory=utcnow)


class DueDateChange(SQLModel, table=True):
    """A new expected date that staff gave a ticket (`/extend`), with the reason told to the citizen."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    old_due_at: datetime
    new_due_at: datetime
    reason: str = Field(sa_column=Column(Text, nullable=False))
    actor: str | None = Field(default=None, max_length=255)
    at: datetime = Field(default_factory=utcnow)


class StoredFile(SQLModel, table=True):
    """A file the bot made (a chart, an export), kept until a messenger has uploaded it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    mime_type: str = Field(max_length=100)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class TicketThread(SQLModel, table=True):
    """Links a ticket to the staff-chat message or forum topic where staff discuss it."""

    __table_args__ = (
        Index("ix_ticketthread_thread", "platform", "chat_id", "thread_id"),
        Index("ix_ticketthread_message", "platform", "chat_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_code: str = Field(max_length=32, index=True)
    platform: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    thread_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written in the transaction that produced it (direct answers included).

    `priority`: 0 a direct answer, 1 a message an update caused for another chat, 2 bulk (follow-ups).
    `owner`/`next_attempt_at`: the sender process holding it while `status` is "sending", and its lease.
    """

    __table_args__ = (
        Index("ix_outbox_queue", "platform", "priority", "id",
              postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
        Index("ix_outbox_unsent_chat", "platform", "chat_id", "id",
              postgresql_where=text("status IN ('pending', 'sending', 'waiting')"),
              sqlite_where=text("status IN ('pending', 'sending', 'waiting')")),
        Index("ix_outbox_owner", "owner", postgresql_where=text("status = 'sending'"),
              sqlite_where=text("status = 'sending'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    chat_id: str = Field(max_length=64)
    thread_id: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    priority: int = Field(default=2, sa_column=Column(SmallInteger, nullable=False, server_default="2"))
    owner: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class SendBudget(SQLModel, table=True):
    """The delivery budget shared by every sender process: one token bucket per bot and per destination."""

    key: str = Field(primary_key=True, max_length=100)
    tokens: float
    stamp: float  # seconds since the epoch of the last refill
    hold_until: float = 0.0  # a 429's retry_after: nothing goes to this destination (or the bot) before


class ConsentRecord(SQLModel, table=True):
    """A citizen gave or withdrew consent to keep their personal data, under one version of the notice."""

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    given: bool
    notice_version: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow)


class ProcessedUpdate(SQLModel, table=True):
    """An update already handled, so a redelivered one is ignored."""

    platform: str = Field(primary_key=True, max_length=32)
    update_id: str = Field(primary_key=True, max_length=64)
    at: datetime = Field(default_factory=utcnow, index=True)


class UnmatchedQuestion(SQLModel, table=True):
    """A question the procedure guide could not answer, counted so staff can improve the knowledge base."""

    id: int | None = Field(default=None, primary_key=True)
    normalized: str = Field(max_length=500, unique=True)
    question: str = Field(sa_column=Column(Text, nullable=False))
    count: int = 1
    first_at: datetime = Field(default_factory=utcnow)
    last_at: datetime = Field(default_factory=utcnow)


class Credential(SQLModel, table=True):
    """A secret the bot must keep across restarts (e.g. Zalo's rotating refresh token)."""

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class SecurityEvent(SQLModel, table=True):
    """A refused attempt (a staff command from a non-staff user, a banned user writing)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    detail: str | None = Field(default=None, max_length=500)
