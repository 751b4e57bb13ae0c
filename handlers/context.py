"""What a handler gets for one update: the message, the database session, the person and their state."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session

from handlers.categories import staff_chat_of
from handlers.config import HandlerSettings
from handlers.i18n import translate
from knowledge import KnowledgeBase, Matcher
from messaging.types import Button, Incoming, Outgoing
from storage.models import Citizen, Conversation, StaffMember, Ticket

DRAFT = "draft"  # conversation data: the feedback being written; kept when the citizen leaves the form
# conversation data: the language the last question was written and answered in, when it was not the citizen's own
# (a question in English): the buttons pressed after it (the feedback form, say) keep that language
ANSWERED_IN = "answered_in"


@dataclass
class Context:
    """One update being handled. Handlers change `state`/`data`; the dispatcher saves them."""

    incoming: Incoming
    session: Session
    settings: HandlerSettings
    kb: KnowledgeBase
    matcher: Matcher
    citizen: Citizen
    conversation: Conversation
    staff: StaffMember | None = None
    is_admin: bool = False
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    later: list[tuple[str, str, Outgoing]] = field(default_factory=list)  # written by the dispatcher
    answer_language: str | None = None  # this update's answers only (a question written in English)

    @property
    def lang(self) -> str:
        """The language this person reads (this answer's, when the question was in another)."""
        return (self.answer_language or self.data.get(ANSWERED_IN) or self.citizen.language
                or self.settings.default_language)

    @property
    def is_staff(self) -> bool:
        """Staff members and configured admins."""
        return self.staff is not None or self.is_admin

    @property
    def actor(self) -> str:
        """How this person appears in the audit trail."""
        who = f"{self.incoming.platform}:{self.incoming.user_id}"
        name = (self.staff.name if self.staff else None) or self.incoming.user_name
        return f"{who} ({name})" if name else who

    def t(self, key: str, **kwargs: object) -> str:
        """A text from the catalogue in this person's language."""
        return translate(self.lang, key, **kwargs)

    def go(self, state: str | None, **updates: Any) -> None:
        """Move to `state`, merging `updates` into the conversation data."""
        self.state = state
        self.data.update(updates)

    def reset(self) -> None:
        """Leave any flow and forget what was being typed, except a feedback draft (it waits for the citizen) and
        the language of the last answer."""
        self.state = None
        self.data = {key: self.data[key] for key in (DRAFT, ANSWERED_IN) if self.data.get(key)}

    def drop_draft(self) -> None:
        """Forget the feedback draft (filed, or discarded by the citizen)."""
        self.data.pop(DRAFT, None)

    def staff_t(self, key: str, **kwargs: object) -> str:
        """A text in the staff chat's language (posts and notices read by every staff member)."""
        return translate(self.settings.default_language, key, **kwargs)

    def reply(self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), **kwargs: Any) -> Outgoing:
        """A direct answer into the chat the update came from, tagged with the reader's language."""
        kwargs.setdefault("meta", {"lang": self.lang})
        return Outgoing(text=text, buttons=buttons, **kwargs)

    def send_later(self, platform: str, chat_id: str, message: Outgoing) -> None:
        """Queue a message to another chat in the durable outbox (written with this update's changes)."""
        self.later.append((platform, str(chat_id), message))

    def notify_citizen(self, citizen: Citizen, message: Outgoing) -> None:
        """Queue a message to a citizen's chat."""
        self.send_later(citizen.platform, citizen.chat_id, message)

    def notify_staff(self, message: Outgoing) -> None:
        """Queue a message to the staff chat."""
        platform, chat_id = self.settings.staff_chat_address
        self.send_later(platform, chat_id, message)

    def notify_ticket_staff(self, ticket: Ticket, message: Outgoing) -> None:
        """Queue a message about a ticket to the staff chat of its category (into its topic, on a forum)."""
        platform, chat_id = staff_chat_of(ticket.category, self.settings)
        self.send_later(platform, chat_id, replace(message, ticket_code=ticket.code))
