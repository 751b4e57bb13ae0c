"""Who wrote an update: citizen record, staff membership and conversation, read in one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam
from sqlmodel import Session, select

from storage.citizens import add_citizen, refresh_citizen
from storage.conversations import load_conversation
from storage.models import Citizen, Conversation, StaffMember
from storage.staff import get_staff


@dataclass
class Sender:
    """The rows the dispatcher needs about the person behind an update."""

    citizen: Citizen
    staff: StaffMember | None
    conversation: Conversation


_SENDER = (
    select(Citizen, StaffMember, Conversation)
    .outerjoin(StaffMember, and_(StaffMember.platform == Citizen.platform, StaffMember.user_id == Citizen.user_id,
                                 StaffMember.active == True))  # noqa: E712
    .outerjoin(Conversation, and_(Conversation.platform == Citizen.platform, Conversation.user_id == Citizen.user_id))
    .where(Citizen.platform == bindparam("platform"), Citizen.user_id == bindparam("user_id"))
)  # built once: constructing the statement per update cost as much as running it


def load_sender(session: Session, platform: str, user_id: str, chat_id: str, *, language: str = "vi",
                display_name: str | None = None, username: str | None = None) -> Sender:
    """The sender's rows, creating the citizen and conversation on first contact.

    A known citizen costs one query (the common case); a first contact falls back to one per table.
    """
    row = session.exec(_SENDER, params={"platform": platform, "user_id": user_id}).first()
    if row is None:
        citizen = add_citizen(session, platform, user_id, chat_id, language=language, display_name=display_name,
                              username=username)  # the query above found none: no need to ask again
        return Sender(citizen, get_staff(session, platform, user_id), load_conversation(session, platform, user_id))
    citizen, member, conv = row
    refresh_citizen(citizen, chat_id, display_name, username)
    if conv is None:
        conv = load_conversation(session, platform, user_id)
    return Sender(citizen, member, conv)
