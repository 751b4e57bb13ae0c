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


@dataclass(frozen=True)
class Identity:
    """The person behind an update, as the messenger names them."""

    platform: str
    user_id: str
    chat_id: str
    display_name: str | None = None
    username: str | None = None


_JOINED = (
    select(Citizen, StaffMember, Conversation)
    .outerjoin(StaffMember, and_(StaffMember.platform == Citizen.platform, StaffMember.user_id == Citizen.user_id,
                                 StaffMember.active == True))  # noqa: E712
    .outerjoin(Conversation, and_(Conversation.platform == Citizen.platform, Conversation.user_id == Citizen.user_id))
    .where(Citizen.platform == bindparam("platform"))
)  # built once: constructing the statement per update cost as much as running it
_SENDER = _JOINED.where(Citizen.user_id == bindparam("user_id"))
_SENDERS = _JOINED.where(Citizen.user_id.in_(bindparam("user_ids", expanding=True)))  # type: ignore[attr-defined]


def load_sender(session: Session, person: Identity, *, language: str = "vi") -> Sender:
    """The sender's rows, creating the citizen and conversation on first contact.

    A known citizen costs one query (the common case); a first contact falls back to one per table.
    """
    row = session.exec(_SENDER, params={"platform": person.platform, "user_id": person.user_id}).first()
    return _complete(session, row, person, language)


def load_senders(session: Session, people: list[Identity], *, language: str = "vi") -> dict[tuple[str, str], Sender]:
    """`load_sender` for several people at once: one query per platform for those already known."""
    found: dict[tuple[str, str], tuple[Citizen, StaffMember | None, Conversation | None]] = {}
    for platform in {person.platform for person in people}:
        user_ids = sorted({person.user_id for person in people if person.platform == platform})
        for row in session.exec(_SENDERS, params={"platform": platform, "user_ids": user_ids}):
            found[(platform, row[0].user_id)] = tuple(row)  # type: ignore[assignment]
    senders: dict[tuple[str, str], Sender] = {}
    for person in people:
        key = (person.platform, person.user_id)
        if key not in senders:
            senders[key] = _complete(session, found.get(key), person, language)
    return senders


def _complete(session: Session, row: tuple | None, person: Identity, language: str) -> Sender:
    """A sender from a joined row: refreshes a known citizen, creates what a first contact lacks."""
    if row is None:  # the query found none: no need to ask again
        citizen = add_citizen(session, person.platform, person.user_id, person.chat_id, language=language,
                              display_name=person.display_name, username=person.username)
        return Sender(citizen, get_staff(session, person.platform, person.user_id),
                      load_conversation(session, person.platform, person.user_id))
    citizen, member, conv = row
    refresh_citizen(citizen, person.chat_id, person.display_name, person.username)
    if conv is None:
        conv = load_conversation(session, person.platform, person.user_id)
    return Sender(citizen, member, conv)
