"""A test driver that talks to the real dispatcher like a person on a phone would."""

from __future__ import annotations

from itertools import count

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from handlers.dispatcher import Dispatcher
from messaging.types import Attachment, AttachmentKind, Incoming, Location, Outgoing
from storage.models import OutboxMessage

_update_ids = count(1)


class Chat:
    """One person in one chat: say things, press buttons by label, read answers."""

    def __init__(self, dispatcher: Dispatcher, user_id: str, *, platform: str = "console",
                 chat_id: str | None = None, is_group: bool = False, user_name: str | None = None,
                 username: str | None = None) -> None:
        self.dispatcher = dispatcher
        self.platform = platform
        self.user_id = user_id
        self.chat_id = chat_id or user_id
        self.is_group = is_group
        self.user_name = user_name
        self.username = username
        self.last: list[Outgoing] = []

    def send(self, **fields: object) -> list[Outgoing]:
        """Deliver one update built from `fields` and keep the answers."""
        fields.setdefault("update_id", str(next(_update_ids)))
        msg = Incoming(platform=self.platform, user_id=self.user_id, chat_id=self.chat_id,
                       is_group=self.is_group, user_name=self.user_name, username=self.username,
                       **fields)  # type: ignore[arg-type]
        self.last = self.dispatcher.handle(msg)
        return self.last

    def say(self, text: str, **fields: object) -> list[Outgoing]:
        """Type a text message."""
        return self.send(text=text, **fields)

    def press(self, label_part: str) -> list[Outgoing]:
        """Press the button (in the last answers) whose label contains `label_part`."""
        for msg in self.last:
            for row in msg.buttons:
                for b in row:
                    if label_part.lower() in b.label.lower():
                        return self.send(callback=b.data)
        raise AssertionError(f"No button {label_part!r} in: {self.labels()}")

    def photo(self, file_id: str, caption: str | None = None) -> list[Outgoing]:
        """Send a photo."""
        return self.send(text=caption, attachments=(Attachment(AttachmentKind.PHOTO, file_id),))

    def location(self, lat: float, lon: float) -> list[Outgoing]:
        """Share a location."""
        return self.send(location=Location(lat, lon))

    def data(self) -> list[str]:
        """Every button's data in the last answers."""
        return [b.data for m in self.last for row in m.buttons for b in row]

    def labels(self) -> list[str]:
        """Every button label in the last answers."""
        return [b.label for m in self.last for row in m.buttons for b in row]

    @property
    def text(self) -> str:
        """All answer texts joined."""
        return "\n".join(m.text for m in self.last)

    def start_and_consent(self) -> None:
        """/start and agree to the privacy notice."""
        self.say("/start")
        self.press("đồng ý")

    def begin_feedback(self, category: str = "Hạ tầng", agency: str = "Một cửa") -> list[Outgoing]:
        """/start, consent, and the feedback flow up to the description step."""
        self.start_and_consent()
        self.press("Gửi phản ánh")
        self.press(category)
        return self.press(agency)

    def file_ticket(self, description: str = "Đèn đường ngõ 5 hỏng một tuần nay.", *,
                    category: str = "Hạ tầng", agency: str = "Một cửa") -> str:
        """Go through the whole feedback flow with defaults; returns the ticket code."""
        self.press("Gửi phản ánh") if any("Gửi phản ánh" in label for label in self.labels()) else self.say("/feedback")
        self.press(category)
        self.press(agency)
        self.say(description)
        self.press("Bỏ qua")
        self.press("Bỏ qua")
        self.press("Bỏ qua")
        self.press("Gửi phản ánh")
        return ticket_code_in(self.text)


def sent_later(engine: Engine, chat_id: str) -> list[Outgoing]:
    """The messages queued in the outbox for a chat, oldest first."""
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id))
        return [Outgoing.from_dict(r.payload, platform=r.platform, chat_id=r.chat_id) for r in rows]


def ticket_code_in(text: str) -> str:
    """The ticket code an answer mentions."""
    import re

    match = re.search(r"PA-\d{4}-\d{6}", text)
    assert match, f"no ticket code in {text!r}"
    return match.group(0)
