"""Links between tickets and the staff-chat messages or forum topics about them."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import TicketThread


def link_thread(session: Session, ticket_code: str, platform: str, chat_id: str,
                thread_id: str | None = None, message_id: str | None = None) -> None:
    """Remember that this topic or message in a staff chat belongs to the ticket."""
    session.add(TicketThread(ticket_code=ticket_code, platform=platform, chat_id=str(chat_id),
                             thread_id=thread_id, message_id=message_id))


def ticket_for_thread(session: Session, platform: str, chat_id: str, thread_id: str | None = None,
                      message_id: str | None = None) -> str | None:
    """The ticket code linked to a forum topic or to a message (topic first), if any."""
    for column, value in ((TicketThread.thread_id, thread_id), (TicketThread.message_id, message_id)):
        if value is None:
            continue
        row = session.exec(select(TicketThread).where(
            TicketThread.platform == platform, TicketThread.chat_id == str(chat_id), column == str(value)
        )).first()
        if row is not None:
            return row.ticket_code
    return None


def thread_for_ticket(session: Session, ticket_code: str, platform: str, chat_id: str) -> str | None:
    """The forum topic of a ticket in a staff chat, if one was created."""
    row = session.exec(select(TicketThread).where(
        TicketThread.ticket_code == ticket_code, TicketThread.platform == platform,
        TicketThread.chat_id == str(chat_id), TicketThread.thread_id.is_not(None),  # type: ignore[union-attr]
    )).first()
    return row.thread_id if row else None
