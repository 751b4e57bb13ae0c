"""Messenger-neutral message types: what adapters turn updates into, and what handlers return."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


def by_fields(self: Any) -> tuple[type, tuple[Any, ...]]:
    """Pickle a frozen slotted dataclass as its constructor call.

    Messages cross to and from the dispatcher's worker processes; the dataclass module's own state
    functions look the fields up again for every object, which cost the bot's busy process several
    percent of its time.
    """
    cls = type(self)
    return cls, tuple(getattr(self, name) for name in cls.__slots__)


class AttachmentKind(StrEnum):
    """Kinds of media a citizen can attach to feedback."""

    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or file, referenced by the messenger's own file id (never downloaded by handlers)."""

    __reduce__ = by_fields

    kind: AttachmentKind
    file_id: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Location:
    """A point the citizen shared, or an address typed instead."""

    __reduce__ = by_fields

    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button: a label shown to the user and the data sent back when pressed (at most 64 bytes)."""

    __reduce__ = by_fields

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update from a citizen or a staff member, whatever the messenger.

    `chat_id` is where answers go (the private chat, or the staff group); `user_id` is who wrote.
    `callback` is set when a button was pressed; `unsupported` names a media kind the bot cannot take
    (sticker, voice, poll...). `reply_to` and `thread_id` identify the message or forum topic that a
    message answers, so it can be mapped back to a ticket. `media_group_id` is set on each photo of an album
    sent at once (the flood limit counts the album once).
    """

    __reduce__ = by_fields

    platform: str
    user_id: str
    chat_id: str
    text: str | None = None
    callback: str | None = None
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    contact_phone: str | None = None
    user_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    update_id: str | None = None
    unsupported: str | None = None
    is_group: bool = False
    reply_to: str | None = None
    thread_id: str | None = None
    media_group_id: str | None = None

    @property
    def command(self) -> str | None:
        """The command name without slash or bot suffix (`/reply@bot X` -> `reply`), or None."""
        if not self.text or not self.text.startswith("/"):
            return None
        head = self.text.split(maxsplit=1)[0][1:]
        return head.split("@", 1)[0].lower() or None

    @property
    def args(self) -> str:
        """Everything after the command word, stripped."""
        if not self.text:
            return ""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send. `chat_id`/`platform` None means: the chat the update came from.

    `buttons` are rows of inline buttons. `request_contact` / `request_location` ask the adapter to
    show the messenger's share-phone / share-location keyboard. `ticket_code` tags messages about a
    ticket so adapters can route them (for example into the ticket's forum topic).
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    request_contact: bool = False
    request_location: bool = False
    platform: str | None = None
    chat_id: str | None = None
    ticket_code: str | None = None
    kind: str = "message"
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for the outbox."""
        return {
            "text": self.text,
            "buttons": [[[b.label, b.data] for b in row] for row in self.buttons],
            "attachments": [
                {"kind": a.kind.value, "file_id": a.file_id, "file_name": a.file_name,
                 "mime_type": a.mime_type, "size": a.size}
                for a in self.attachments
            ],
            "location": None if self.location is None else {
                "latitude": self.location.latitude, "longitude": self.location.longitude,
                "address": self.location.address,
            },
            "request_contact": self.request_contact,
            "request_location": self.request_location,
            "ticket_code": self.ticket_code,
            "kind": self.kind,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], platform: str | None = None,
                  chat_id: str | None = None) -> Outgoing:
        """Rebuild a message stored by `to_dict`."""
        loc = data.get("location")
        return cls(
            text=data["text"],
            buttons=tuple(tuple(Button(label, d) for label, d in row) for row in data.get("buttons", [])),
            attachments=tuple(
                Attachment(AttachmentKind(a["kind"]), a["file_id"], a.get("file_name"),
                           a.get("mime_type"), a.get("size"))
                for a in data.get("attachments", [])
            ),
            location=None if loc is None else Location(loc.get("latitude"), loc.get("longitude"),
                                                        loc.get("address")),
            request_contact=data.get("request_contact", False),
            request_location=data.get("request_location", False),
            platform=platform,
            chat_id=chat_id,
            ticket_code=data.get("ticket_code"),
            kind=data.get("kind", "message"),
            meta=data.get("meta") or {},
        )


def button_rows(*rows: list[Button] | tuple[Button, ...]) -> tuple[tuple[Button, ...], ...]:
    """Build a keyboard from rows of buttons, dropping empty rows."""
    return tuple(tuple(r) for r in rows if r)
