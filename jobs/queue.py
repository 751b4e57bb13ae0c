"""Queueing follow-up messages in the outbox: to one chat, or to staff grouped when there are many."""

from __future__ import annotations

from sqlmodel import Session

from handlers.i18n import translate
from messaging.types import Outgoing
from storage import outbox

# More notices than this in one run go to the staff chat as one list (a Telegram group takes 20 messages a
# minute; ten thousand reminders after a long stop must not hold the chat for hours).
GROUP_ABOVE = 5


def send(session: Session, address: tuple[str, str], message: Outgoing) -> None:
    """Queue one message to (platform, chat id) in the caller's transaction."""
    platform, chat_id = address
    outbox.enqueue(session, platform, chat_id, message.to_dict())


def send_notices(session: Session, address: tuple[str, str], notices: list[tuple[str, str]], *, lang: str,
                 header_key: str, kind: str) -> int:
    """Queue (ticket code, text) notices: one message each (into the ticket's topic), or one list when many."""
    if len(notices) <= GROUP_ABOVE:
        for code, text in notices:
            send(session, address, Outgoing(text=text, ticket_code=code, kind=kind))
        return len(notices)
    lines = [translate(lang, header_key, count=len(notices)), *(f"• {text}" for _, text in notices)]
    send(session, address, Outgoing(text="\n".join(lines), kind=kind))
    return 1
