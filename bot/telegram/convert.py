"""Library Update objects (aiogram or python-telegram-bot: same field names) -> neutral `Incoming`."""

from __future__ import annotations

from typing import Any

from messaging.types import Attachment, AttachmentKind, Incoming, Location

PLATFORM = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]
UNSUPPORTED_MEDIA = (
    "sticker", "voice", "video_note", "video", "animation", "audio", "poll", "dice", "game", "story",
    "venue", "invoice", "paid_media", "checklist", "live_photo",
)
GROUP_TYPES = {"group", "supergroup"}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _chat_type(chat: Any) -> str:
    kind = getattr(chat, "type", "")
    return str(getattr(kind, "value", kind))


def _user_fields(user: Any) -> dict[str, Any]:
    if user is None:
        return {}
    name = " ".join(p for p in (getattr(user, "first_name", None), getattr(user, "last_name", None)) if p)
    return {"user_id": str(user.id), "user_name": name or None,
            "username": getattr(user, "username", None),
            "language_code": getattr(user, "language_code", None)}


def _attachments(message: Any) -> tuple[Attachment, ...]:
    photo = getattr(message, "photo", None)
    if photo:
        best = max(photo, key=lambda p: (p.width or 0) * (p.height or 0))
        return (Attachment(AttachmentKind.PHOTO, best.file_id, size=getattr(best, "file_size", None)),)
    doc = getattr(message, "document", None)
    if doc is not None:
        return (Attachment(AttachmentKind.DOCUMENT, doc.file_id, getattr(doc, "file_name", None),
                           getattr(doc, "mime_type", None), getattr(doc, "file_size", None)),)
    return ()


def _thread_and_reply(message: Any) -> tuple[str | None, str | None]:
    in_topic = getattr(message, "is_topic_message", None)
    thread = getattr(message, "message_thread_id", None) if in_topic else None
    reply = getattr(message, "reply_to_message", None)
    reply_to = None
    if reply is not None and not getattr(reply, "forum_topic_created", None):
        reply_to = _str(reply.message_id)
    return _str(thread), reply_to


def message_to_incoming(message: Any, update_id: int) -> Incoming | None:
    """A message from a person, or None for service messages and messages from bots or channels."""
    user = getattr(message, "from_user", None)
    chat = getattr(message, "chat", None)
    if user is None or chat is None or getattr(user, "is_bot", False):
        return None
    chat_type = _chat_type(chat)
    if chat_type not in GROUP_TYPES and chat_type != "private":
        return None
    text = getattr(message, "text", None) or getattr(message, "caption", None)
    attachments = _attachments(message)
    contact = getattr(message, "contact", None)
    loc = getattr(message, "location", None)
    unsupported = next((kind for kind in UNSUPPORTED_MEDIA if getattr(message, kind, None) is not None), None)
    if unsupported == "venue":
        unsupported = None  # a venue carries a location
    location = Location(loc.latitude, loc.longitude) if loc is not None and unsupported is None else None
    phone = None
    if contact is not None:
        own = getattr(contact, "user_id", None) in (None, user.id)
        phone = contact.phone_number if own else None
        if not own:
            unsupported = "contact"
    if not (text or attachments or location or phone or unsupported):
        return None  # service message: member joined, pinned, topic closed...
    thread_id, reply_to = _thread_and_reply(message)
    return Incoming(
        platform=PLATFORM, chat_id=str(chat.id), text=text, attachments=attachments, location=location,
        contact_phone=phone, update_id=str(update_id), unsupported=unsupported,
        is_group=chat_type in GROUP_TYPES, reply_to=reply_to, thread_id=thread_id,
        media_group_id=_str(getattr(message, "media_group_id", None)), **_user_fields(user),
    )


def callback_to_incoming(query: Any, update_id: int) -> Incoming | None:
    """A button press, or None when it cannot be answered in a chat (inline messages, no data)."""
    message = getattr(query, "message", None)
    chat = getattr(message, "chat", None)
    data = getattr(query, "data", None)
    if chat is None or not data or getattr(query, "from_user", None) is None:
        return None
    chat_type = _chat_type(chat)
    thread_id = None
    if getattr(message, "is_topic_message", None):
        thread_id = _str(getattr(message, "message_thread_id", None))
    return Incoming(
        platform=PLATFORM, chat_id=str(chat.id), callback=data, update_id=str(update_id),
        is_group=chat_type in GROUP_TYPES, thread_id=thread_id, **_user_fields(query.from_user),
    )


def to_incoming(update: Any) -> Incoming | None:
    """The neutral form of an update, or None for kinds the bot does not handle."""
    if getattr(update, "message", None) is not None:
        return message_to_incoming(update.message, update.update_id)
    if getattr(update, "callback_query", None) is not None:
        return callback_to_incoming(update.callback_query, update.update_id)
    return None


def chat_key(update: Any) -> str:
    """A key that serialises updates of one chat (so a conversation is handled in order)."""
    message = getattr(update, "message", None)
    if message is None and getattr(update, "callback_query", None) is not None:
        message = getattr(update.callback_query, "message", None)
    chat = getattr(message, "chat", None)
    return str(chat.id) if chat is not None else f"u{getattr(update, 'update_id', id(update))}"
