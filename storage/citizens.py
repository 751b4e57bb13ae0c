"""Citizens: find or create on first contact, consent, language, bans, reachability."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.clock import utcnow
from storage.models import Citizen, ConsentRecord


def get_citizen(session: Session, platform: str, user_id: str) -> Citizen | None:
    """The citizen with this platform identity, if known."""
    return session.exec(
        select(Citizen).where(Citizen.platform == platform, Citizen.user_id == user_id)
    ).first()


def get_or_create_citizen(
    session: Session, platform: str, user_id: str, chat_id: str, *, language: str = "vi",
    display_name: str | None = None, username: str | None = None,
) -> Citizen:
    """Find the citizen or create one; keeps chat id and names current."""
    citizen = get_citizen(session, platform, user_id)
    if citizen is None:
        return add_citizen(session, platform, user_id, chat_id, language=language, display_name=display_name,
                           username=username)
    refresh_citizen(citizen, chat_id, display_name, username)
    return citizen


def add_citizen(session: Session, platform: str, user_id: str, chat_id: str, *, language: str = "vi",
                display_name: str | None = None, username: str | None = None) -> Citizen:
    """A new citizen, written at once (so it has its id)."""
    citizen = Citizen(platform=platform, user_id=user_id, chat_id=chat_id, language=language,
                      display_name=display_name, username=username)
    session.add(citizen)
    session.flush()
    return citizen


def refresh_citizen(citizen: Citizen, chat_id: str, display_name: str | None, username: str | None) -> None:
    """Keep chat id and names current; a citizen who writes is reachable again."""
    if citizen.chat_id != chat_id and chat_id:
        citizen.chat_id = chat_id
    if display_name and citizen.display_name != display_name:
        citizen.display_name = display_name
    if username and citizen.username != username:
        citizen.username = username
    if citizen.unreachable_at is not None:
        citizen.unreachable_at = None


def give_consent(session: Session, citizen: Citizen, notice_version: str) -> None:
    """Record the citizen's explicit consent to keep their personal data, with when and under which notice."""
    citizen.consent_at = utcnow()
    citizen.consent_version = notice_version
    session.add(citizen)
    session.add(ConsentRecord(citizen_id=citizen.id or 0, given=True, notice_version=notice_version,
                              at=citizen.consent_at))


def withdraw_consent(session: Session, citizen: Citizen) -> None:
    """Withdraw consent and forget the stored phone number (the withdrawal is recorded too)."""
    session.add(ConsentRecord(citizen_id=citizen.id or 0, given=False,
                              notice_version=citizen.consent_version or "-", at=utcnow()))
    citizen.consent_at = None
    citizen.consent_version = None
    citizen.phone = None
    session.add(citizen)


def set_ban(session: Session, citizen: Citizen, banned: bool, reason: str | None = None) -> None:
    """Ban or unban a citizen who abuses the bot."""
    citizen.banned = banned
    citizen.ban_reason = reason if banned else None
    session.add(citizen)


def mark_unreachable(target: Session | Engine, platform: str, chat_id: str) -> None:
    """Record that the messenger refused delivery to this chat (e.g. the citizen blocked the bot)."""
    if isinstance(target, Session):
        _mark_unreachable(target, platform, chat_id)
        return
    with Session(target) as session:
        _mark_unreachable(session, platform, chat_id)
        session.commit()


def _mark_unreachable(session: Session, platform: str, chat_id: str) -> None:
    for citizen in session.exec(
        select(Citizen).where(Citizen.platform == platform, Citizen.chat_id == chat_id)
    ):
        citizen.unreachable_at = utcnow()
        session.add(citizen)
